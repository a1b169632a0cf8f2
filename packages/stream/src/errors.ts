/** A stdcopy frame on stream 3 (systemerr): the daemon reports an error inside the stream. */
export class StreamError extends Error {
  readonly code = 'DAEMON_STREAM_ERROR'

  /** @param payload the frame payload, the daemon's error text */
  constructor(readonly payload: Buffer) {
    super(`error from daemon in stream: ${payload.toString('utf8')}`)
    this.name = 'StreamError'
  }
}

/** A stdcopy frame header with a stream id other than 0 to 3. */
export class UnrecognizedStreamError extends Error {
  readonly code = 'UNRECOGNIZED_STREAM'

  constructor(readonly streamId: number) {
    super(`unrecognized stream: ${streamId}`)
    this.name = 'UnrecognizedStreamError'
  }
}

/** A multiplexed stream that ends inside a frame header or payload. */
export class TruncatedFrameError extends Error {
  readonly code = 'TRUNCATED_FRAME'

  constructor() {
    super('truncated stdcopy frame')
    this.name = 'TruncatedFrameError'
  }
}

/** A frame payload length that does not fit the 32-bit length field of a stdcopy header. */
export class FrameLengthError extends Error {
  readonly code = 'INVALID_FRAME_LENGTH'

  constructor(readonly length: number) {
    super(`invalid stdcopy frame length ${length}: must be an integer from 0 to 4294967295`)
    this.name = 'FrameLengthError'
  }
}

/** A write to a stream that was closed before the data could be written. */
export class StreamClosedError extends Error {
  readonly code = 'STREAM_CLOSED'

  constructor() {
    super('stream closed before the write completed')
    this.name = 'StreamClosedError'
  }
}

/** A detach key sequence that does not follow Docker's `ctrl-p,ctrl-q` grammar. */
export class InvalidDetachKeysError extends Error {
  readonly code = 'INVALID_DETACH_KEYS'

  /**
   * @param keys the sequence as given
   * @param element the first comma-separated element that is not a key
   */
  constructor(
    readonly keys: string,
    readonly element: string,
  ) {
    super(`Invalid escape keys (${keys}) provided`)
    this.name = 'InvalidDetachKeysError'
  }
}
