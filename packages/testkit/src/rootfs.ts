import { execFile } from 'node:child_process'
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** The path of the statically linked busybox that Debian's busybox-static installs. */
export const BUSYBOX_PATH = '/usr/bin/busybox'

/** Users of the test root filesystem, for user and group resolution tests. */
export const ROOTFS_PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'alice:x:1000:1000:Alice:/home/alice:/bin/sh',
  'bob:x:1001:1001:Bob:/home/bob:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
].join('\n') + '\n'

/** Groups of the test root filesystem: alice is also a member of staff. */
export const ROOTFS_GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'staff:x:50:alice',
  'alice:x:1000:',
  'bob:x:1001:',
  'nogroup:x:65534:',
].join('\n') + '\n'

/**
 * Builds a minimal root filesystem at `directory`: a static busybox with a
 * symlink per applet in /bin, /etc/passwd and /etc/group with the users
 * above, and the usual empty mount points.
 */
export async function buildBusyboxRootfs(directory: string): Promise<string> {
  for (const dir of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root', 'run', 'var', 'home/alice', 'home/bob']) {
    await mkdir(join(directory, dir), { recursive: true })
  }
  await copyFile(BUSYBOX_PATH, join(directory, 'bin/busybox'))
  const { stdout } = await execFileAsync(BUSYBOX_PATH, ['--list'])
  for (const applet of stdout.split('\n')) {
    if (!applet || applet === 'busybox') continue
    await symlink('busybox', join(directory, 'bin', applet))
  }
  await writeFile(join(directory, 'etc/passwd'), ROOTFS_PASSWD)
  await writeFile(join(directory, 'etc/group'), ROOTFS_GROUP)
  await writeFile(join(directory, 'etc/hostname'), 'dexec-test\n')
  return directory
}
