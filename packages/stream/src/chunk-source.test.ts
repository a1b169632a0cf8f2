import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { copyChunks, discardStream, isChunkSource, type ChunkHandler } from './chunk-source.js'
import { StdcopyDemuxer } from './stdcopy.js'

/**
 * A ChunkSource that writes `count` chunks of `size` bytes into one buffer it reuses as long as
 * the handler gives it back, as a FIFO read end does. Chunk n is filled with byte n % 251.
 */
class ReusingSource extends Readable {
  #handler: ChunkHandler | null = null
  #memory: Buffer
  #sent = 0
  #paused = false
  /** Buffers the handler kept, counted to show that reuse happened. */
  fresh = 0

  constructor(
    private readonly count: number,
    private readonly size: number,
  ) {
    super()
    this.#memory = Buffer.alloc(size)
  }

  setChunkHandler(handler: ChunkHandler | null): void {
    this.#handler = handler
    setImmediate(() => this.#produce())
  }

  override _read(): void {}

  override pause(): this {
    this.#paused = true
    return super.pause()
  }

  override resume(): this {
    const wasPaused = this.#paused
    this.#paused = false
    if (wasPaused) setImmediate(() => this.#produce())
    return super.resume()
  }

  #produce(): void {
    while (!this.#paused && this.#sent < this.count) {
      this.#memory.fill(this.#sent % 251)
      this.#sent++
      if (!this.#handler!(this.#memory)) {
        this.#memory = Buffer.alloc(this.size)
        this.fresh++
      }
    }
    if (this.#sent === this.count) {
      this.push(null)
      this.read(0)
    }
  }
}

function expectedDigest(count: number, size: number): string {
  const hash = createHash('sha256')
  for (let index = 0; index < count; index++) hash.update(Buffer.alloc(size, index % 251))
  return hash.digest('hex')
}

let directory: string
let server: Server
let serverSide: Promise<Socket>

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexec-chunks-'))
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

/** Connects a pair of unix sockets: the server end to write to, the client end to read. */
async function socketPair(name: string): Promise<{ output: Socket; client: Socket }> {
  const path = join(directory, name)
  server = createServer()
  serverSide = new Promise((resolve) => server.once('connection', resolve))
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const client = connect(path)
  const output = await serverSide
  server.close()
  return { output, client }
}

describe('copyChunks', () => {
  // Chunks below the socket's 16 KiB high-water mark queue up while write() still returns true,
  // so reusing their memory too early would show in the digest.
  it.each([
    { count: 200, size: 64 * 1024 },
    { count: 4000, size: 1024 },
  ])('reuses the memory of a written chunk and loses no byte to a slow reader ($count x $size)', async ({ count, size }) => {
    const source = new ReusingSource(count, size)
    const { output, client } = await socketPair(`slow-${size}.sock`)
    client.pause()
    copyChunks(source, output, { frame: null })
    // The reader stalls long enough for the socket buffer to fill and writes to queue.
    await sleep(100)
    const hash = createHash('sha256')
    let received = 0
    const done = new Promise<void>((resolve) => {
      client.on('data', (chunk: Buffer) => {
        hash.update(chunk)
        received += chunk.length
        if (received === count * size) resolve()
      })
    })
    client.resume()
    await done
    output.destroy()
    client.destroy()
    expect(received).toBe(count * size)
    expect(hash.digest('hex')).toBe(expectedDigest(count, size))
    // Queued writes kept some chunks, but most were written at once and their memory reused.
    expect(source.fresh).toBeGreaterThan(0)
    expect(source.fresh).toBeLessThan(count / 2)
  })

  it('frames each chunk as a stdcopy frame of the given stream', async () => {
    const source = new ReusingSource(3, 10)
    const { output, client } = await socketPair('framed.sock')
    const received: Buffer[] = []
    client.on('data', (chunk: Buffer) => received.push(chunk))
    copyChunks(source, output, { frame: 2 })
    await new Promise((resolve) => source.once('end', resolve))
    output.end()
    await new Promise((resolve) => client.once('end', resolve))
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const demuxer = new StdcopyDemuxer({ stdout, stderr })
    await new Promise<void>((resolve) => demuxer.end(Buffer.concat(received), resolve))
    expect(Buffer.concat(received).subarray(0, 8)).toEqual(Buffer.from([2, 0, 0, 0, 0, 0, 0, 10]))
    expect((stderr.read() as Buffer).toString('hex')).toBe(
      Buffer.concat([Buffer.alloc(10, 0), Buffer.alloc(10, 1), Buffer.alloc(10, 2)]).toString('hex'),
    )
    expect(stdout.read()).toBeNull()
  })

  it('gives a Writable that is not a socket a copy of each chunk', async () => {
    const source = new ReusingSource(5, 4)
    const output = new PassThrough()
    const lengths: number[] = []
    copyChunks(source, output, { frame: null, onChunk: (length) => lengths.push(length) })
    await new Promise((resolve) => source.once('end', resolve))
    // The PassThrough keeps its chunks; had they not been copied they would all read as 4.
    expect((output.read() as Buffer).toString('hex')).toBe('00000000010101010202020203030303' + '04040404')
    expect(lengths).toEqual([4, 4, 4, 4, 4])
    expect(source.fresh).toBe(0)
  })
})

describe('discardStream', () => {
  it('reads a ChunkSource to its end through a handler', async () => {
    const source = new ReusingSource(50, 1024)
    expect(isChunkSource(source)).toBe(true)
    discardStream(source)
    await new Promise((resolve) => source.once('end', resolve))
    expect(source.fresh).toBe(0)
  })

  it('reads a plain Readable to its end', async () => {
    const stream = Readable.from([Buffer.from('a'), Buffer.from('b')])
    expect(isChunkSource(stream)).toBe(false)
    discardStream(stream)
    await new Promise((resolve) => stream.once('end', resolve))
  })
})
