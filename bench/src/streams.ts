// Readers and writers for the attached stream of an exec that count bytes instead of keeping
// them, so that the client costs the same for both servers and keeps no data in memory.

import type { Socket } from 'node:net'

import type { AttachedStart } from './engine.js'

/** Byte counts of one stream read to its end. */
export interface StreamCounts {
  stdout: number
  stderr: number
  /** The first KiB of stdout, for checking a short output such as that of `wc -c`. */
  head: string
}

const HEAD_LIMIT = 1024

/** Counts stdcopy frames payload by payload; a frame may be cut anywhere between chunks. */
class FrameCounter {
  readonly counts: StreamCounts = { stdout: 0, stderr: 0, head: '' }
  #header = Buffer.alloc(8)
  #headerLength = 0
  #left = 0
  #stream = 1

  push(chunk: Buffer): void {
    let position = 0
    while (position < chunk.length) {
      if (this.#left === 0) {
        const copied = chunk.copy(this.#header, this.#headerLength, position)
        this.#headerLength += copied
        position += copied
        if (this.#headerLength < 8) return
        this.#headerLength = 0
        this.#stream = this.#header[0]!
        this.#left = this.#header.readUInt32BE(4)
        continue
      }
      const end = Math.min(chunk.length, position + this.#left)
      this.#count(chunk, position, end)
      this.#left -= end - position
      position = end
    }
  }

  get complete(): boolean {
    return this.#left === 0 && this.#headerLength === 0
  }

  #count(chunk: Buffer, start: number, end: number): void {
    if (this.#stream === 2) {
      this.counts.stderr += end - start
      return
    }
    this.counts.stdout += end - start
    if (this.counts.head.length < HEAD_LIMIT) this.counts.head += chunk.toString('latin1', start, end)
  }
}

/**
 * Reads an attached stream until the server ends it and counts stdout and stderr bytes. A raw
 * (TTY) stream counts everything as stdout.
 */
export function countStream(start: AttachedStart, multiplexed: boolean): Promise<StreamCounts> {
  const { socket } = start
  const counter = new FrameCounter()
  const raw: StreamCounts = { stdout: 0, stderr: 0, head: '' }
  const push = (chunk: Buffer) => {
    if (multiplexed) {
      counter.push(chunk)
      return
    }
    raw.stdout += chunk.length
    if (raw.head.length < HEAD_LIMIT) raw.head += chunk.toString('latin1', 0, HEAD_LIMIT)
  }
  push(start.initial)
  return new Promise((resolve, reject) => {
    socket.on('data', push)
    socket.once('error', reject)
    socket.once('end', () => {
      socket.destroy()
      if (multiplexed && !counter.complete) reject(new Error('stream ended inside a frame'))
      else resolve(multiplexed ? counter.counts : raw)
    })
    socket.resume()
  })
}

/**
 * Writes `total` bytes (repeats of one 1 MiB block of a letter and newlines) to the socket,
 * honouring backpressure, then half-closes it so that the process reads EOF.
 */
export async function feed(socket: Socket, total: number): Promise<void> {
  const block = Buffer.alloc(1024 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\n')
  let left = total
  while (left > 0) {
    const piece = left >= block.length ? block : block.subarray(0, left)
    left -= piece.length
    if (!socket.write(piece)) await drained(socket)
  }
  socket.end()
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off('drain', onDrain)
      socket.off('close', onClose)
    }
    const onDrain = () => {
      cleanup()
      resolve()
    }
    const onClose = () => {
      cleanup()
      reject(new Error('connection closed while stdin was being written'))
    }
    socket.once('drain', onDrain)
    socket.once('close', onClose)
  })
}
