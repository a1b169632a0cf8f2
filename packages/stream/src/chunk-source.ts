import { Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'

import { frameHeader } from './stdcopy.js'

/**
 * Takes one chunk read by a ChunkSource, in memory that the source reads into again after the
 * call. Returns true when it is done with that memory, false when it still refers to it (a
 * write that is still queued): the source then reads into new memory.
 */
export type ChunkHandler = (chunk: Buffer) => boolean

/**
 * A Readable that can hand each read to a handler instead, in memory it reuses, so copying a
 * stream allocates nothing per read. Without a handler it is a plain Readable.
 */
export interface ChunkSource extends Readable {
  /**
   * Sends every later read to `handler`, after the chunks already buffered; null goes back to
   * being a plain Readable. pause() and resume() stop and restart the reads either way.
   */
  setChunkHandler(handler: ChunkHandler | null): void
}

/** Tells whether `stream` can hand its reads to a ChunkHandler. */
export function isChunkSource(stream: Readable): stream is ChunkSource {
  return typeof (stream as Partial<ChunkSource>).setChunkHandler === 'function'
}

/** Options of copyChunks: the framing of each chunk and a byte count. */
export interface ChunkCopyOptions {
  /** Each chunk becomes a stdcopy frame of this stream; null copies chunks as they are. */
  frame: 1 | 2 | null
  /** Called with the payload length of each chunk, before it is written. */
  onChunk?: (length: number) => void
}

/**
 * Copies `source` to `output` until the source ends, with backpressure: the source is paused
 * while the output is over its high-water mark. The output is never ended here.
 *
 * Only a socket hands written bytes to the kernel or to TLS before the write completes, so only
 * then can the source reuse a chunk's memory once the output has nothing queued. Any other
 * Writable may keep the chunk itself (a PassThrough does), so it gets a copy.
 */
export function copyChunks(source: ChunkSource, output: Writable, options: ChunkCopyOptions): void {
  const outputIsSocket = output instanceof Socket
  let waiting = false
  const resume = () => {
    waiting = false
    source.resume()
  }
  source.setChunkHandler((chunk) => {
    if (chunk.length === 0) return true
    options.onChunk?.(chunk.length)
    // The owner notices a closed output through the output's own events.
    if (output.destroyed || output.writableEnded) return true
    const payload = outputIsSocket ? chunk : Buffer.from(chunk)
    let ready: boolean
    if (options.frame === null) {
      ready = output.write(payload)
    } else {
      // Corked, the header and the payload leave in one writev.
      output.cork()
      output.write(frameHeader(options.frame, chunk.length))
      ready = output.write(payload)
      output.uncork()
    }
    if (!ready && !waiting) {
      waiting = true
      source.pause()
      output.once('drain', resume)
    }
    return !outputIsSocket || output.writableLength === 0
  })
}

/** Reads `stream` to its end and drops what it reads, allocating nothing per read when it can. */
export function discardStream(stream: Readable): void {
  if (isChunkSource(stream)) stream.setChunkHandler(() => true)
  stream.resume()
}
