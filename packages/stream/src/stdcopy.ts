// Docker's stdcopy framing, used on the attached stream of an exec started without a TTY.
// Each frame is an 8-byte header (stream id, three zero bytes, payload length as big-endian
// uint32) followed by the payload.

import { Writable } from 'node:stream'

import {
  FrameLengthError,
  StreamClosedError,
  StreamError,
  TruncatedFrameError,
  UnrecognizedStreamError,
} from './errors.js'

/** Stream ids of the stdcopy header. dockerd never sends Stdin; readers treat it as Stdout. */
export const StdStream = { Stdin: 0, Stdout: 1, Stderr: 2, Systemerr: 3 } as const

/** A stdcopy stream id. */
export type StdStream = (typeof StdStream)[keyof typeof StdStream]

/** Size of a stdcopy frame header in bytes. */
export const FRAME_HEADER_LENGTH = 8

const MAX_PAYLOAD_LENGTH = 0xffff_ffff

// A systemerr payload is kept in memory to build the error message, so only its first 64 KiB are
// kept: daemon error texts are short, and a peer must not make the demuxer buffer up to 4 GiB.
const MAX_SYSTEM_ERROR_LENGTH = 64 * 1024

type Callback = (error?: Error | null) => void

/**
 * Calls `callback` once `stream` emits 'drain', or with an error once it fails or closes first.
 * A stream that is already destroyed reports at once, since it will emit nothing more.
 */
function afterDrain(stream: Writable, callback: Callback): void {
  if (stream.destroyed) {
    callback(stream.errored ?? new StreamClosedError())
    return
  }
  const cleanup = () => {
    stream.off('drain', onDrain)
    stream.off('error', onError)
    stream.off('close', onClose)
  }
  const onDrain = () => {
    cleanup()
    callback()
  }
  const onError = (error: Error) => {
    cleanup()
    callback(error)
  }
  const onClose = () => {
    cleanup()
    callback(stream.errored ?? new StreamClosedError())
  }
  stream.on('drain', onDrain)
  stream.on('error', onError)
  stream.on('close', onClose)
}

/**
 * Returns the 8-byte header of a frame carrying `length` payload bytes on `stream`.
 *
 * @throws FrameLengthError when `length` is not an integer from 0 to 2^32-1
 */
export function frameHeader(stream: StdStream, length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > MAX_PAYLOAD_LENGTH) {
    throw new FrameLengthError(length)
  }
  // allocUnsafe takes the 8 bytes from Node's shared pool instead of a new allocation.
  const header = Buffer.allocUnsafe(FRAME_HEADER_LENGTH)
  header[0] = stream
  header[1] = 0
  header[2] = 0
  header[3] = 0
  header.writeUInt32BE(length, 4)
  return header
}

// While the output waits for 'drain', a FrameWriter keeps accepting chunks up to this many
// bytes, so the process output is still read meanwhile and the chunks leave together in one
// writev once the output drains. Node's default of 16 KiB is below one 64 KiB pipe read.
const FRAME_WRITER_HIGH_WATER_MARK = 256 * 1024

/** Writable for one stream of a muxer: each chunk becomes one frame on the shared output. */
class FrameWriter extends Writable {
  constructor(
    private readonly output: Writable,
    private readonly stream: 1 | 2,
  ) {
    super({ highWaterMark: FRAME_WRITER_HIGH_WATER_MARK })
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    // dockerd writes no frame for an empty write.
    if (chunk.length === 0) return callback()
    if (this.output.destroyed || this.output.writableEnded) {
      return callback(this.output.errored ?? new StreamClosedError())
    }
    let header: Buffer
    try {
      header = frameHeader(this.stream, chunk.length)
    } catch (error) {
      return callback(error as Error)
    }
    // Corking hands header and payload to the output together (one writev on a socket) and
    // leaves the payload uncopied.
    this.output.cork()
    this.output.write(header)
    const ready = this.output.write(chunk)
    this.output.uncork()
    this.#afterWrite(ready, callback)
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: Callback): void {
    const payloads = chunks.map(({ chunk }) => chunk).filter((chunk) => chunk.length > 0)
    if (payloads.length === 0) return callback()
    if (this.output.destroyed || this.output.writableEnded) {
      return callback(this.output.errored ?? new StreamClosedError())
    }
    let headers: Buffer[]
    try {
      headers = payloads.map((payload) => frameHeader(this.stream, payload.length))
    } catch (error) {
      return callback(error as Error)
    }
    this.output.cork()
    let ready = true
    for (let index = 0; index < payloads.length; index++) {
      this.output.write(headers[index])
      ready = this.output.write(payloads[index])
    }
    this.output.uncork()
    this.#afterWrite(ready, callback)
  }

  #afterWrite(ready: boolean, callback: Callback): void {
    if (ready) callback()
    else afterDrain(this.output, callback)
  }
}

/**
 * Multiplexes stdout and stderr onto one output, usually the client socket. The writables it
 * hands out never end the output: the caller ends it once both streams have finished.
 */
export class StdcopyMuxer {
  constructor(readonly output: Writable) {}

  /**
   * Returns a Writable whose chunks go out as frames of `stream`. Its write callbacks wait
   * while the output is over its high-water mark, so a slow reader slows the writer.
   */
  writable(stream: 1 | 2): Writable {
    return new FrameWriter(this.output, stream)
  }
}

/** Targets of a demuxer. */
export interface StdcopyDemuxerOptions {
  /** Receives the payloads of streams 0 and 1. */
  readonly stdout: Writable
  /** Receives the payloads of stream 2; it may be the same stream as `stdout`. */
  readonly stderr: Writable
  /** Whether to end both targets once the input ends cleanly. Defaults to false. */
  readonly end?: boolean
}

/**
 * Splits a multiplexed stream back into stdout and stderr. Frames may be cut anywhere between
 * chunks, and payloads are forwarded as they arrive without waiting for the whole frame.
 * The demuxer fails with StreamError on a systemerr frame, with UnrecognizedStreamError on a
 * stream id above 3, and with TruncatedFrameError when the input ends inside a frame.
 */
export class StdcopyDemuxer extends Writable {
  readonly #stdout: Writable
  readonly #stderr: Writable
  readonly #endTargets: boolean
  readonly #header = Buffer.alloc(FRAME_HEADER_LENGTH)
  #headerLength = 0
  #payloadLeft = 0
  #streamId: number = StdStream.Stdout
  readonly #systemError: Buffer[] = []
  #systemErrorLength = 0

  constructor(options: StdcopyDemuxerOptions) {
    super()
    this.#stdout = options.stdout
    this.#stderr = options.stderr
    this.#endTargets = options.end ?? false
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.#consume(chunk, 0, callback)
  }

  override _final(callback: Callback): void {
    if (this.#headerLength > 0 || this.#payloadLeft > 0) {
      callback(new TruncatedFrameError())
      return
    }
    if (this.#endTargets) {
      this.#stdout.end()
      if (this.#stderr !== this.#stdout) this.#stderr.end()
    }
    callback()
  }

  /** Processes `chunk` from `offset` on, pausing while a target is over its high-water mark. */
  #consume(chunk: Buffer, offset: number, callback: Callback): void {
    let position = offset
    while (position < chunk.length) {
      if (this.#payloadLeft === 0) {
        const [next, error] = this.#readHeader(chunk, position)
        if (error !== null) return callback(error)
        position = next
        continue
      }
      const end = Math.min(chunk.length, position + this.#payloadLeft)
      const payload = chunk.subarray(position, end)
      this.#payloadLeft -= payload.length
      position = end
      if (this.#streamId === StdStream.Systemerr) {
        const error = this.#collectSystemError(payload)
        if (error !== null) return callback(error)
        continue
      }
      const target = this.#streamId === StdStream.Stderr ? this.#stderr : this.#stdout
      if (!target.write(payload)) {
        afterDrain(target, (error) => {
          if (error) callback(error)
          else this.#consume(chunk, position, callback)
        })
        return
      }
    }
    callback()
  }

  /** Copies header bytes from `chunk`; once the header is whole, starts its frame. */
  #readHeader(chunk: Buffer, position: number): [next: number, error: Error | null] {
    const copied = chunk.copy(this.#header, this.#headerLength, position)
    this.#headerLength += copied
    const next = position + copied
    if (this.#headerLength < FRAME_HEADER_LENGTH) return [next, null]

    this.#headerLength = 0
    const streamId = this.#header[0] ?? 0
    const length = this.#header.readUInt32BE(4)
    if (streamId > StdStream.Systemerr) return [next, new UnrecognizedStreamError(streamId)]
    this.#streamId = streamId
    this.#payloadLeft = length
    if (streamId === StdStream.Systemerr && length === 0) {
      return [next, new StreamError(Buffer.alloc(0))]
    }
    return [next, null]
  }

  /** Keeps a systemerr payload piece; returns the StreamError once the frame is complete. */
  #collectSystemError(payload: Buffer): StreamError | null {
    const room = MAX_SYSTEM_ERROR_LENGTH - this.#systemErrorLength
    if (room > 0) {
      const kept = payload.subarray(0, room)
      this.#systemError.push(kept)
      this.#systemErrorLength += kept.length
    }
    if (this.#payloadLeft > 0) return null
    return new StreamError(Buffer.concat(this.#systemError))
  }
}
