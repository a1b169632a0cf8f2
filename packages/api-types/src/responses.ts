// Shapes of the JSON replies. Keys are listed in the order dockerd writes them, so an object
// built in this order serializes to the same bytes. Types only: nothing here exists at run time.

/** `ProcessConfig` of an exec inspect reply. */
export interface ExecProcessConfig {
  tty: boolean
  /** `Cmd[0]` of the create request. */
  entrypoint: string
  /** `Cmd[1:]`; an empty array, never null, when Cmd has one element. */
  arguments: string[]
  privileged: boolean
  /** Effective user after the container default; dockerd omits the key when it is empty. */
  user?: string
}

/** Reply of `GET /exec/{id}/json`. */
export interface ExecInspectResponse {
  ID: string
  Running: boolean
  /** null until the process has exited or failed to start. */
  ExitCode: number | null
  ProcessConfig: ExecProcessConfig
  OpenStdin: boolean
  OpenStderr: boolean
  OpenStdout: boolean
  CanRemove: boolean
  ContainerID: string
  /** The detach key bytes in base64, since Go encodes a byte slice that way; `""` when none. */
  DetachKeys: string
  /** Host pid of the process, 0 before it starts and after a failed start. */
  Pid: number
  /** dexec extension, absent from Docker: the creation time in RFC 3339 (UTC, milliseconds). */
  CreatedAt: string
  /** dexec extension, absent from Docker: true once the exec ran past its `Timeout`. */
  TimedOut: boolean
}

/** Reply of `POST /containers/{id}/exec`. */
export interface ExecCreateResponse {
  /** 64 lower-case hex digits. */
  Id: string
}

/** One entry of `Components` in a version reply. */
export interface SystemVersionComponent {
  Name: string
  Version: string
  Details?: Record<string, string>
}

/** Reply of `GET /version`. */
export interface SystemVersion {
  Platform: { Name: string }
  Components: SystemVersionComponent[]
  Version: string
  ApiVersion: string
  MinAPIVersion: string
  GitCommit: string
  GoVersion: string
  Os: string
  Arch: string
  KernelVersion: string
  /** dockerd omits the key when it is false. */
  Experimental?: boolean
  BuildTime: string
}

/** One entry of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string
  /** Names with a leading `/`. */
  Names: string[]
  Image: string
  ImageID: string
  Command: string
  /** Unix time in seconds. */
  Created: number
  State: string
  Status: string
  Labels: Record<string, string>
}

/** `State` of a container inspect reply. */
export interface ContainerState {
  Status: string
  Running: boolean
  Paused: boolean
  Restarting: boolean
  OOMKilled: boolean
  Dead: boolean
  Pid: number
  ExitCode: number
  Error: string
  /** RFC 3339 time with nanoseconds. */
  StartedAt: string
  FinishedAt: string
}

/** `Config` of a container inspect reply, limited to what exec clients read. */
export interface ContainerConfig {
  Hostname: string
  User: string
  Env: string[] | null
  Cmd: string[] | null
  Image: string
  WorkingDir: string
  Entrypoint: string[] | null
  Labels: Record<string, string> | null
  Tty: boolean
  OpenStdin: boolean
  AttachStdin: boolean
  AttachStdout: boolean
  AttachStderr: boolean
}

/** Reply of `GET /containers/{id}/json`. */
export interface ContainerInspectResponse {
  Id: string
  /** RFC 3339 time with nanoseconds. */
  Created: string
  Path: string
  Args: string[]
  State: ContainerState
  Image: string
  /** Name with a leading `/`. */
  Name: string
  RestartCount: number
  Driver: string
  Platform: string
  /** Ids of the execs that are created or running; null, not `[]`, when there are none. */
  ExecIDs: string[] | null
  Config: ContainerConfig
  HostConfig: Record<string, unknown>
}

/** Body of every JSON error reply. */
export interface ErrorResponse {
  message: string
}
