/**
 * The parts of the OCI runtime specification that dexec reads or writes.
 * Unknown fields are kept as they are, because an exec process starts from
 * a copy of the container's own process.
 */
export interface OciUser {
  uid: number
  gid: number
  umask?: number
  additionalGids?: number[]
  username?: string
}

export interface OciCapabilities {
  bounding?: string[]
  effective?: string[]
  inheritable?: string[]
  permitted?: string[]
  ambient?: string[]
}

export interface OciProcess {
  terminal?: boolean
  consoleSize?: { height: number; width: number }
  user: OciUser
  args?: string[]
  env?: string[]
  cwd: string
  capabilities?: OciCapabilities
  apparmorProfile?: string
  noNewPrivileges?: boolean
  [key: string]: unknown
}

export interface OciSpec {
  ociVersion?: string
  process?: OciProcess
  root?: { path: string; readonly?: boolean }
  hostname?: string
  mounts?: unknown[]
  annotations?: Record<string, string>
  linux?: Record<string, unknown>
  [key: string]: unknown
}

/** The type URL containerd expects on the `spec` of an exec request. */
export const OCI_PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process'
