import { Socket } from 'node:net'

/** Takes one read; `release` gives its memory back to the pool once nothing refers to it. */
export type PooledChunkHandler = (chunk: Buffer, release: () => void) => void

// Reads start small, as most stdin is typed or short, and grow once a read fills its buffer.
const FIRST_SIZE = 8 * 1024
const FULL_SIZE = 64 * 1024
// At most this many reads are in use at once; then reading waits for a release.
const POOL_LIMIT = 4

/** The internals of a Node socket that its `onread` option sets up. */
interface UserBufferInternals {
  kBuffer: symbol
  kBufferCb: symbol
  kBufferGen: symbol
  useUserBuffer: (buffer: Buffer) => void
}

/**
 * Makes a socket read into memory from a small pool instead of a new Buffer for every read,
 * and hands each read to `onChunk` until the socket ends. Returns false, changing nothing,
 * when the socket cannot be switched; the caller then reads it as a stream.
 *
 * A new Buffer per read of a fast client costs a full garbage collection every few dozen MiB.
 * Node reads into caller memory when a socket is constructed with the `onread` option, which a
 * socket accepted by http.Server never is. This applies the same setting afterwards.
 * NOTE: it relies on Node's private `kBuffer`, `kBufferCb` and `kBufferGen` symbols of
 * net.Socket and on the handle's `useUserBuffer()`, which back `onread` (checked on Node 20.20).
 * When any of them is missing the socket is left alone, so a Node without them is slower,
 * not wrong.
 */
export function readIntoPool(socket: Socket, onChunk: PooledChunkHandler): boolean {
  const internals = userBufferInternals(socket)
  if (!internals) return false
  const pool = new ReadPool()

  // Bytes the socket read before the switch come first.
  let early = socket.read() as Buffer | null
  while (early !== null) {
    onChunk(early, () => {})
    early = socket.read() as Buffer | null
  }

  let waiting = false
  const slots = socket as unknown as Record<symbol, unknown>
  slots[internals.kBuffer] = true
  slots[internals.kBufferGen] = () => pool.current
  slots[internals.kBufferCb] = (length: number) => {
    const memory = pool.handOut(length)
    let released = false
    onChunk(memory.subarray(0, length), () => {
      if (released) return
      released = true
      pool.release(memory)
      if (waiting && !pool.exhausted) {
        waiting = false
        socket.resume()
      }
    })
    // Too many reads still in use: reading stops until a release.
    waiting = pool.exhausted
    return !waiting
  }

  internals.useUserBuffer.call((socket as unknown as { _handle: object })._handle, pool.current)
  return true
}

/**
 * Finds the internals that `onread` uses, on a plain socket (not TLS) that does not read into
 * caller memory yet.
 */
function userBufferInternals(socket: Socket): UserBufferInternals | null {
  if (!(socket instanceof Socket) || socket.destroyed) return null
  type Handle = { useUserBuffer?: unknown; constructor?: { name?: string } }
  const handle = (socket as unknown as { _handle?: Handle })._handle
  const handleType = handle?.constructor?.name
  if (typeof handle?.useUserBuffer !== 'function') return null
  if (handleType !== 'Pipe' && handleType !== 'TCP') return null
  const ownSymbols = Object.getOwnPropertySymbols(socket)
  const symbols = new Map(ownSymbols.map((symbol) => [symbol.description, symbol]))
  const kBuffer = symbols.get('kBuffer')
  const kBufferCb = symbols.get('kBufferCb')
  const kBufferGen = symbols.get('kBufferGen')
  if (!kBuffer || !kBufferCb || !kBufferGen) return null
  const slots = socket as unknown as Record<symbol, unknown>
  if (slots[kBuffer] !== null || slots[kBufferCb] !== null) return null
  const useUserBuffer = handle.useUserBuffer as (buffer: Buffer) => void
  return { kBuffer, kBufferCb, kBufferGen, useUserBuffer }
}

/**
 * Buffers for reads. `current` is what the socket reads into next and is never handed out;
 * handOut() gives it away and picks the next one, reusing released buffers.
 */
class ReadPool {
  current: Buffer = Buffer.allocUnsafeSlow(FIRST_SIZE)
  private readonly free: Buffer[] = []
  private size = FIRST_SIZE
  private inUse = 0

  /** Tells whether so many reads are in use that reading has to wait. */
  get exhausted(): boolean {
    return this.inUse >= POOL_LIMIT
  }

  /** Hands out `current`, which contains a read of `length` bytes, and picks the next buffer. */
  handOut(length: number): Buffer {
    const memory = this.current
    if (length === memory.length) this.size = FULL_SIZE
    this.inUse++
    let next = this.free.pop()
    // Buffers of the first, smaller size are dropped once reads grew.
    while (next && next.length !== this.size) next = this.free.pop()
    this.current = next ?? Buffer.allocUnsafeSlow(this.size)
    return memory
  }

  release(memory: Buffer): void {
    this.inUse--
    if (memory.length === this.size && this.free.length < POOL_LIMIT) this.free.push(memory)
  }
}
