import { Transform, type TransformCallback } from 'node:stream'

/**
 * Passes stdin bytes through until the detach key sequence is typed, as dockerd does for a TTY
 * exec. Bytes that may start the sequence are withheld until the next byte decides. A mismatch
 * releases them, and matching starts over after the mismatching byte, which is not tested as a
 * new start: with ctrl-p,ctrl-q, `\x10\x10\x11` does not detach but `x\x10\x11` does.
 *
 * A match may span chunks. On a full match the bytes before it are passed on, the keys are not,
 * 'detach' is emitted once, the readable side ends, and later input is discarded. If the input
 * ends during a partial match, the withheld bytes are released. dockerd's proxy (moby/term
 * 0.5.2) drops them instead.
 */
export class DetachKeyFilter extends Transform {
  readonly #keys: Buffer
  #matched = 0
  #detached = false

  /** @param keys the key sequence; it is copied, and an empty one never matches */
  constructor(keys: Uint8Array) {
    super()
    this.#keys = Buffer.from(keys)
  }

  /** Whether the key sequence has been seen. */
  get detached(): boolean {
    return this.#detached
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.#detached) this.#scan(chunk)
    callback()
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#detached && this.#matched > 0) this.push(this.#heldKeys(this.#matched))
    callback()
  }

  /** Returns a copy of the first `count` key bytes, which are the bytes being withheld. */
  #heldKeys(count: number): Buffer {
    return Buffer.from(this.#keys.subarray(0, count))
  }

  #pushRange(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return
    this.push(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end))
  }

  #scan(chunk: Buffer): void {
    const keys = this.#keys
    let index = 0
    if (this.#matched === 0) index = keys.length === 0 ? -1 : chunk.indexOf(keys[0] as number)
    // Fast path: no withheld bytes and no byte that starts the sequence, so the chunk passes whole.
    if (index === -1) {
      this.push(chunk)
      return
    }

    const first = keys[0] as number
    // A match that began in an earlier chunk has a negative start.
    let matchStart = -this.#matched
    while (index < chunk.length) {
      if (chunk[index] === keys[this.#matched]) {
        if (this.#matched === 0) matchStart = index
        this.#matched++
        index++
        if (this.#matched === keys.length) {
          this.#detach(chunk, matchStart)
          return
        }
        continue
      }
      if (this.#matched > 0) {
        // The withheld bytes of earlier chunks go out first; those of this chunk are still
        // part of the unpushed range.
        if (matchStart < 0) this.push(this.#heldKeys(-matchStart))
        this.#matched = 0
      }
      index = chunk.indexOf(first, index + 1)
      if (index === -1) index = chunk.length
    }
    this.#pushRange(chunk, 0, this.#matched > 0 ? Math.max(matchStart, 0) : chunk.length)
  }

  #detach(chunk: Buffer, matchStart: number): void {
    this.#pushRange(chunk, 0, Math.max(matchStart, 0))
    this.#detached = true
    this.#matched = 0
    this.emit('detach')
    this.push(null)
  }
}
