/** Base class of the errors of `@dexec/exec-store`. Its `code` is stable across versions. */
export abstract class ExecStoreError extends Error {
  abstract readonly code: string

  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** Error for an unknown exec ID, with the message that Docker sends in its 404 response. */
export class ExecNotFoundError extends ExecStoreError {
  readonly code = 'EXEC_NOT_FOUND'

  constructor(readonly id: string) {
    super(`No such exec instance: ${id}`)
  }
}

/** Codes of {@link ExecConflictError}: the exec runs now, or it ran already. */
export type ExecConflictCode = 'EXEC_ALREADY_RUNNING' | 'EXEC_ALREADY_RAN'

/** Error for a second start of a single-use exec, with the message of Docker's 409 response. */
export class ExecConflictError extends ExecStoreError {
  readonly code: ExecConflictCode

  constructor(
    readonly id: string,
    code: ExecConflictCode,
  ) {
    const state = code === 'EXEC_ALREADY_RUNNING' ? 'is already running' : 'has already run'
    super(`exec command ${id} ${state}`)
    this.code = code
  }
}

/** An explicit id passed to `ExecStore.create` that a stored record already has. */
export class ExecIdInUseError extends ExecStoreError {
  readonly code = 'EXEC_ID_IN_USE'

  constructor(readonly id: string) {
    super(`exec ID ${id} is already in use; pass another ID or let the store generate one`)
  }
}

/** The random source kept producing IDs that are taken or have an all-digit short form. */
export class ExecIdGenerationError extends ExecStoreError {
  readonly code = 'EXEC_ID_GENERATION_FAILED'

  constructor(readonly attempts: number) {
    super(
      `failed to generate a usable exec ID in ${attempts} attempts; ` +
        'check that the random source returns 32 random bytes',
    )
  }
}

/** Error for a transition called in a state that forbids it, which is a bug in the caller. */
export class ExecStateError extends ExecStoreError {
  readonly code = 'EXEC_INVALID_STATE'

  constructor(
    readonly id: string,
    readonly transition: string,
    readonly status: string,
  ) {
    super(`invalid transition for exec ${id}: ${transition} is not allowed while it is ${status}`)
  }
}

/** An invalid value given to the store or to a record: a config field, a pid or an exit code. */
export class InvalidExecArgumentError extends ExecStoreError {
  readonly code = 'EXEC_INVALID_ARGUMENT'

  constructor(
    readonly argument: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`invalid ${argument}: ${formatValue(value)}; expected ${expected}`)
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value)
  }

  if (Array.isArray(value)) {
    return `[${value.map(formatValue).join(', ')}]`
  }

  return String(value)
}
