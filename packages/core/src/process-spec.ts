import type { OciProcess } from '@dexec/containerd'
import type { ExecConfig } from '@dexec/exec-store'

import type { ResolvedUser } from './user.js'

/** The Linux capabilities that runc 1.1 supports, all granted to a privileged exec. */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID',
  'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
]

/**
 * Builds the OCI process of an exec from the container's own process: the
 * container's user, capabilities, rlimits and security settings stay, and
 * args, env, cwd, terminal, console size, user and privileges are the exec's.
 */
export function buildExecProcess(options: {
  base: OciProcess
  config: ExecConfig
  user: ResolvedUser | null
  consoleSize: [number, number] | null
}): OciProcess {
  const { base, config } = options
  const process: OciProcess = {
    ...structuredClone(base),
    args: [...config.cmd],
    env: [...config.env],
    cwd: config.workingDir || '/',
    terminal: config.tty,
  }
  delete process.consoleSize
  const size = config.tty ? options.consoleSize : null
  if (size && size[0] > 0 && size[1] > 0) process.consoleSize = { height: size[0], width: size[1] }
  if (options.user) {
    process.user = {
      ...process.user,
      uid: options.user.uid,
      gid: options.user.gid,
      additionalGids: [...options.user.additionalGids],
    }
  }
  if (config.privileged) {
    process.capabilities = {
      ...process.capabilities,
      bounding: [...ALL_CAPABILITIES],
      permitted: [...ALL_CAPABILITIES],
      effective: [...ALL_CAPABILITIES],
    }
  }
  return process
}
