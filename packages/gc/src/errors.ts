/** Base class of every error thrown by `@dexec/gc`. Its `code` is stable across versions. */
export abstract class GcError extends Error {
  abstract readonly code: string

  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** An option of `TwoPhaseGc` is missing or has the wrong type or range. */
export class InvalidGcOptionError extends GcError {
  readonly code = 'GC_INVALID_OPTION'

  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`invalid GC option ${option}: ${formatValue(value)}; expected ${expected}`)
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value)
  }

  if (typeof value === 'function') {
    return 'a function'
  }

  if (value !== null && typeof value === 'object') {
    return 'an object'
  }

  return String(value)
}
