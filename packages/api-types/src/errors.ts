/**
 * A request body that dexec rejects with 400: wrong Content-Type, malformed JSON or a field of
 * the wrong type. `message` is the text that Docker puts in its error reply.
 */
export class InvalidBodyError extends Error {
  readonly code = 'INVALID_BODY'

  constructor(message: string) {
    super(message)
    this.name = 'InvalidBodyError'
  }
}

/** A query parameter whose value does not parse, such as the `h` of an exec resize. */
export class InvalidParameterError extends Error {
  readonly code = 'INVALID_PARAMETER'

  /**
   * @param parameter name of the query parameter, such as `h`
   * @param value the value as received, `''` when the parameter is missing
   */
  constructor(
    readonly parameter: string,
    readonly value: string,
    message: string,
  ) {
    super(message)
    this.name = 'InvalidParameterError'
  }
}
