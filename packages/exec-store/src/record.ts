import { ExecConflictError, ExecStateError, InvalidExecArgumentError } from './errors.js'

/** Exec settings fixed at create time, after the container defaults were merged into them. */
export interface ExecConfig {
  /** Full id of the owning container. */
  containerId: string
  /** Executable and arguments. `cmd[0]` may be `''`, which passes create and fails at start. */
  cmd: string[]
  /** Final environment as `KEY=value` entries, in order. */
  env: string[]
  /** Effective user, `''` when neither the exec nor the container sets one. */
  user: string
  /** Working directory, `''` for the container default (`/` at start when that is empty too). */
  workingDir: string
  tty: boolean
  attachStdin: boolean
  attachStdout: boolean
  attachStderr: boolean
  privileged: boolean
  /** Parsed detach key sequence, or an empty buffer when the client gave none. */
  detachKeys: Buffer
  /** Console size as `[height, width]`, or `null` when none was given. */
  consoleSize: [number, number] | null
  /** Seconds the process may run before it is stopped; 0 or absent for no deadline. */
  timeoutSeconds?: number
}

/** Lifecycle state of an exec: it can be started once and ends exited. */
export type ExecStatus = 'created' | 'running' | 'exited'

/** State changes that a record reports through its `onChange` callback. */
export type ExecRecordChange = 'started' | 'pid' | 'exited' | 'start-failed' | 'detached' | 'timed-out' | 'killed'

/** The mutable state of a record, as a snapshot stores it. */
export interface ExecRecordState {
  status: ExecStatus
  exitCode: number | null
  pid: number
  startedAt: Date | undefined
  finishedAt: Date | undefined
  detached: boolean
  startError: string | undefined
  timedOut: boolean
  /** True once a kill request signalled the process; absent in snapshots from before it existed. */
  killed?: boolean
}

/** Options of the {@link ExecRecord} constructor. */
export interface ExecRecordOptions {
  /** Creation time, now by default. */
  createdAt?: Date
  /** Called synchronously after each state change. An exception reaches the caller. */
  onChange?: (record: ExecRecord, change: ExecRecordChange) => void
}

// containerd carries pids and exit statuses as uint32.
const MAX_UINT32 = 0xffff_ffff

/**
 * One exec instance and its state machine: created -> running -> exited, each step once.
 * The transition methods are the only way to change the state, except `canRemove`.
 */
export class ExecRecord {
  readonly id: string
  readonly config: Readonly<ExecConfig>
  readonly createdAt: Date
  /** Flag set by the two-phase cleanup on exited records, which it deletes at its next pass. */
  canRemove = false

  #status: ExecStatus = 'created'
  #exitCode: number | null = null
  #pid = 0
  #startedAt: Date | undefined
  #finishedAt: Date | undefined
  #detached = false
  #startError: string | undefined
  #timedOut = false
  #killed = false
  readonly #onChange: ExecRecordOptions['onChange']

  constructor(id: string, config: ExecConfig, options: ExecRecordOptions = {}) {
    if (id === '') {
      throw new InvalidExecArgumentError('exec ID', id, 'a non-empty string')
    }

    this.id = id
    this.config = copyConfig(config)
    this.createdAt = options.createdAt ?? new Date()
    this.#onChange = options.onChange
  }

  get status(): ExecStatus {
    return this.#status
  }

  /** True from the moment a start is accepted, before the process exists, until it exits. */
  get running(): boolean {
    return this.#status === 'running'
  }

  /**
   * Exit status, or `null` until the exec has exited. containerd reports a death by signal
   * as 128 + the signal number.
   */
  get exitCode(): number | null {
    return this.#exitCode
  }

  /** Host pid: 0 until known, kept after a normal exit, 0 again after a failed start. */
  get pid(): number {
    return this.#pid
  }

  get startedAt(): Date | undefined {
    return this.#startedAt
  }

  get finishedAt(): Date | undefined {
    return this.#finishedAt
  }

  /** True once the client detached with the escape keys, while the process may still run. */
  get detached(): boolean {
    return this.#detached
  }

  /** Error text of a failed start, or `undefined` when the start did not fail. */
  get startError(): string | undefined {
    return this.#startError
  }

  /** True once the process ran past its deadline and was sent SIGTERM. */
  get timedOut(): boolean {
    return this.#timedOut
  }

  /** True once a kill request signalled the running process. */
  get killed(): boolean {
    return this.#killed
  }

  /** Executable path, `Cmd[0]` (the `ProcessConfig.entrypoint` of an inspect). */
  get entrypoint(): string {
    return this.config.cmd[0] ?? ''
  }

  /** Arguments after the executable, an empty array when `cmd` has one element. */
  get arguments(): string[] {
    return this.config.cmd.slice(1)
  }

  /**
   * Moves a created exec to running. An exec is single-use, so any later call throws
   * {@link ExecConflictError}, with the message Docker sends for a second start.
   */
  start(now: Date = new Date()): void {
    if (this.#status === 'running') {
      throw new ExecConflictError(this.id, 'EXEC_ALREADY_RUNNING')
    }

    if (this.#status === 'exited') {
      throw new ExecConflictError(this.id, 'EXEC_ALREADY_RAN')
    }

    this.#status = 'running'
    this.#startedAt = now
    this.#notify('started')
  }

  /**
   * Records the host pid of the started process. When the exit was handled before the pid
   * arrived, the record stays exited and still stores the pid, which inspect shows after exit.
   */
  setPid(pid: number): void {
    if (!isUint32(pid) || pid === 0) {
      throw new InvalidExecArgumentError(`pid for exec ${this.id}`, pid, 'a positive integer')
    }

    if (this.#status === 'created' || this.#startError !== undefined) {
      throw new ExecStateError(this.id, 'setPid', this.#describeStatus())
    }

    this.#pid = pid
    this.#notify('pid')
  }

  /**
   * Moves a running exec to exited with its exit status. Returns false and changes nothing
   * when the exec has exited already, so a late second report of the same exit is harmless.
   */
  finish(exitCode: number, now: Date = new Date()): boolean {
    this.#checkExitCode(exitCode)

    if (this.#status === 'exited') {
      return false
    }

    if (this.#status === 'created') {
      throw new ExecStateError(this.id, 'finish', this.#status)
    }

    this.#exit(exitCode, now)
    this.#notify('exited')
    return true
  }

  /**
   * Moves a running exec whose process could not be started to exited: pid 0, the given
   * exit code and error text. Returns false and changes nothing when it has exited already.
   */
  failStart(exitCode: number, message: string, now: Date = new Date()): boolean {
    this.#checkExitCode(exitCode)

    if (this.#status === 'exited') {
      return false
    }

    if (this.#status === 'created') {
      throw new ExecStateError(this.id, 'failStart', this.#status)
    }

    this.#pid = 0
    this.#startError = message
    this.#exit(exitCode, now)
    this.#notify('start-failed')
    return true
  }

  /**
   * Records that the client detached with the escape keys while the process keeps running.
   * Returns false and changes nothing when the exec has exited or was marked already.
   */
  markDetached(): boolean {
    if (this.#status === 'created') {
      throw new ExecStateError(this.id, 'markDetached', this.#status)
    }

    if (this.#status === 'exited' || this.#detached) {
      return false
    }

    this.#detached = true
    this.#notify('detached')
    return true
  }

  /**
   * Records that the process ran past its deadline. Returns false and changes nothing when
   * the exec is not running or was marked already.
   */
  markTimedOut(): boolean {
    if (this.#status !== 'running' || this.#timedOut) {
      return false
    }

    this.#timedOut = true
    this.#notify('timed-out')
    return true
  }

  /**
   * Records that a kill request signalled the process. Returns false and changes nothing when
   * the exec is not running or was marked already.
   */
  markKilled(): boolean {
    if (this.#status !== 'running' || this.#killed) {
      return false
    }

    this.#killed = true
    this.#notify('killed')
    return true
  }

  /**
   * Sets the state that a snapshot carries, for a record rebuilt after a restart. Called
   * once, right after construction, and it reports no change.
   */
  restoreState(state: ExecRecordState): void {
    if (state.exitCode !== null) this.#checkExitCode(state.exitCode)
    this.#status = state.status
    this.#exitCode = state.exitCode
    this.#pid = state.pid
    this.#startedAt = state.startedAt
    this.#finishedAt = state.finishedAt
    this.#detached = state.detached
    this.#startError = state.startError
    this.#timedOut = state.timedOut
    this.#killed = state.killed ?? false
  }

  #exit(exitCode: number, now: Date): void {
    this.#status = 'exited'
    this.#exitCode = exitCode
    this.#finishedAt = now
  }

  #checkExitCode(exitCode: number): void {
    if (!isUint32(exitCode)) {
      throw new InvalidExecArgumentError(
        `exit code for exec ${this.id}`,
        exitCode,
        `an integer from 0 to ${MAX_UINT32}`,
      )
    }
  }

  #describeStatus(): string {
    return this.#startError === undefined ? this.#status : 'exited after a failed start'
  }

  #notify(change: ExecRecordChange): void {
    this.#onChange?.(this, change)
  }
}

function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_UINT32
}

// Copies the arrays and the buffer so that later changes by the caller cannot alter the record.
function copyConfig(config: ExecConfig): Readonly<ExecConfig> {
  if (config.containerId === '') {
    throw new InvalidExecArgumentError('exec config containerId', '', 'a container ID')
  }

  if (config.cmd.length === 0) {
    throw new InvalidExecArgumentError('exec config cmd', config.cmd, 'at least the executable')
  }

  const consoleSize = config.consoleSize
  return {
    ...config,
    cmd: [...config.cmd],
    env: [...config.env],
    detachKeys: Buffer.from(config.detachKeys),
    consoleSize: consoleSize === null ? null : [consoleSize[0], consoleSize[1]],
  }
}
