import { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { FrameLengthError, StreamClosedError, TruncatedFrameError } from './errors.js'
import { frameHeader, StdcopyDemuxer, StdcopyMuxer, StdStream } from './stdcopy.js'

type Callback = (error?: Error | null) => void

/** Writable that records each chunk and completes its write at once, later, or on release(). */
class Sink extends Writable {
  readonly chunks: Buffer[] = []
  readonly pending: Callback[] = []

  constructor(
    private readonly mode: 'sync' | 'async' | 'manual' = 'sync',
    highWaterMark = 16 * 1024,
  ) {
    super({ highWaterMark })
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.chunks.push(chunk)
    if (this.mode === 'sync') callback()
    else if (this.mode === 'async') setImmediate(callback)
    else this.pending.push(callback)
  }

  release(): void {
    for (const callback of this.pending.splice(0)) callback()
  }

  get data(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

function writeAsync(stream: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error) => (error ? reject(error) : resolve()))
  })
}

function frame(stream: number, payload: string): Buffer {
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(Buffer.byteLength(payload), 4)
  return Buffer.concat([header, Buffer.from(payload)])
}

/** Feeds `chunks` to a demuxer and returns what each target got, or the demuxer's error. */
async function demux(chunks: Buffer[]): Promise<{ stdout: string; stderr: string; error?: Error }> {
  const stdout = new Sink()
  const stderr = new Sink()
  const demuxer = new StdcopyDemuxer({ stdout, stderr })
  const done = new Promise<Error | undefined>((resolve) => {
    demuxer.on('finish', () => resolve(undefined))
    demuxer.on('error', resolve)
  })
  for (const chunk of chunks) demuxer.write(chunk)
  demuxer.end()
  const error = await done
  const result = { stdout: stdout.data.toString(), stderr: stderr.data.toString() }
  return error === undefined ? result : { ...result, error }
}

describe('frameHeader', () => {
  it('writes id and big-endian length', () => {
    expect([...frameHeader(StdStream.Stderr, 0x01020304)]).toEqual([2, 0, 0, 0, 1, 2, 3, 4])
  })

  it('accepts the largest length', () => {
    expect([...frameHeader(StdStream.Stdout, 0xffffffff)]).toEqual([1, 0, 0, 0, 255, 255, 255, 255])
  })

  it.each([-1, 1.5, 2 ** 32, Number.NaN])('rejects length %d', (length) => {
    expect(() => frameHeader(StdStream.Stdout, length)).toThrow(FrameLengthError)
  })
})

describe('StdcopyMuxer', () => {
  it('frames each chunk on its stream', async () => {
    const output = new Sink()
    const muxer = new StdcopyMuxer(output)
    await writeAsync(muxer.writable(1), Buffer.from('out'))
    await writeAsync(muxer.writable(2), Buffer.from('err'))
    expect(output.data).toEqual(Buffer.concat([frame(1, 'out'), frame(2, 'err')]))
  })

  it('writes no frame for an empty chunk', async () => {
    const output = new Sink()
    await writeAsync(new StdcopyMuxer(output).writable(1), Buffer.alloc(0))
    expect(output.chunks).toHaveLength(0)
  })

  it('passes the payload uncopied', async () => {
    const output = new Sink()
    const payload = Buffer.from('payload')
    await writeAsync(new StdcopyMuxer(output).writable(1), payload)
    expect(output.chunks[1]).toBe(payload)
  })

  it('keeps a large chunk in one frame', async () => {
    const output = new Sink()
    const payload = Buffer.alloc(100_000, 0x61)
    await writeAsync(new StdcopyMuxer(output).writable(2), payload)
    expect(output.data.subarray(0, 8)).toEqual(frameHeader(StdStream.Stderr, 100_000))
  })

  it('frames each chunk of a batched write', async () => {
    const output = new Sink()
    const writable = new StdcopyMuxer(output).writable(1)
    writable.cork()
    writable.write('a')
    writable.write('')
    writable.write('bc')
    process.nextTick(() => writable.uncork())
    await writeAsync(writable, Buffer.from('d'))
    expect(output.data).toEqual(Buffer.concat([frame(1, 'a'), frame(1, 'bc'), frame(1, 'd')]))
  })

  it('waits for the output to drain', async () => {
    const output = new Sink('manual', 4)
    let written = false
    new StdcopyMuxer(output).writable(1).write('slow', () => {
      written = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(written).toBe(false)
    output.release()
    output.release()
    await new Promise((resolve) => setImmediate(resolve))
    expect(written).toBe(true)
  })

  it('leaves the output open when its writables end', async () => {
    const output = new Sink()
    const muxer = new StdcopyMuxer(output)
    const stdout = muxer.writable(1)
    await new Promise<void>((resolve) => stdout.end('x', resolve))
    expect(output.writableEnded).toBe(false)
  })

  it('fails writes after the output ended', async () => {
    const output = new Sink()
    output.end()
    const writable = new StdcopyMuxer(output).writable(1)
    writable.on('error', () => {})
    await expect(writeAsync(writable, Buffer.from('x'))).rejects.toThrow(StreamClosedError)
  })

  it('fails a write waiting on a destroyed output', async () => {
    const output = new Sink('manual', 1)
    const writable = new StdcopyMuxer(output).writable(1)
    writable.on('error', () => {})
    const write = writeAsync(writable, Buffer.from('x'))
    output.destroy()
    await expect(write).rejects.toThrow(StreamClosedError)
  })
})

describe('StdcopyDemuxer', () => {
  it('routes streams 0 and 1 to stdout and 2 to stderr', async () => {
    const result = await demux([frame(0, 'in'), frame(1, 'out'), frame(2, 'err'), frame(1, '!')])
    expect(result).toEqual({ stdout: 'inout!', stderr: 'err' })
  })

  it('reassembles frames cut at every byte', async () => {
    const input = Buffer.concat([frame(1, 'hello'), frame(2, 'world'), frame(1, '')])
    const chunks = [...input].map((byte) => Buffer.from([byte]))
    expect(await demux(chunks)).toEqual({ stdout: 'hello', stderr: 'world' })
  })

  it('fails on a systemerr frame', async () => {
    const result = await demux([frame(1, 'a'), frame(3, 'boom'), frame(1, 'b')])
    expect(result.error?.message).toBe('error from daemon in stream: boom')
  })

  it('forwards what precedes a systemerr frame', async () => {
    const result = await demux([frame(1, 'a'), frame(3, 'boom'), frame(1, 'b')])
    expect(result.stdout).toBe('a')
  })

  it('fails on an empty systemerr frame', async () => {
    const result = await demux([frame(3, '')])
    expect(result.error).toMatchObject({
      code: 'DAEMON_STREAM_ERROR',
      message: 'error from daemon in stream: ',
    })
  })

  it('fails on an unknown stream id', async () => {
    const result = await demux([frame(7, 'x')])
    expect(result.error).toMatchObject({
      code: 'UNRECOGNIZED_STREAM',
      message: 'unrecognized stream: 7',
    })
  })

  it.each([
    { doc: 'a cut header', input: frame(1, 'abc').subarray(0, 5) },
    { doc: 'a cut payload', input: frame(1, 'abc').subarray(0, 10) },
  ])('fails on $doc', async ({ input }) => {
    const result = await demux([input])
    expect(result.error).toBeInstanceOf(TruncatedFrameError)
  })

  it('reports truncation with its message', async () => {
    const result = await demux([frame(1, 'abc').subarray(0, 3)])
    expect(result.error?.message).toBe('truncated stdcopy frame')
  })

  it('waits for a slow target', async () => {
    const stdout = new Sink('manual', 2)
    const demuxer = new StdcopyDemuxer({ stdout, stderr: new Sink() })
    let written = false
    demuxer.write(Buffer.concat([frame(1, 'abc'), frame(1, 'def')]), () => {
      written = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(written).toBe(false)
    stdout.release()
    await new Promise((resolve) => setImmediate(resolve))
    stdout.release()
    await new Promise((resolve) => setImmediate(resolve))
    expect(written).toBe(true)
  })

  it('ends its targets when asked', async () => {
    const stdout = new Sink()
    const stderr = new Sink()
    const demuxer = new StdcopyDemuxer({ stdout, stderr, end: true })
    await new Promise<void>((resolve) => demuxer.end(frame(1, 'x'), resolve))
    expect([stdout.writableEnded, stderr.writableEnded]).toEqual([true, true])
  })

  it('leaves its targets open by default', async () => {
    const stdout = new Sink()
    const demuxer = new StdcopyDemuxer({ stdout, stderr: stdout })
    await new Promise<void>((resolve) => demuxer.end(frame(1, 'x'), resolve))
    expect(stdout.writableEnded).toBe(false)
  })
})

describe('stdcopy round trip', () => {
  const write = fc.record({
    stream: fc.constantFrom(1 as const, 2 as const),
    data: fc.uint8Array({ maxLength: 40 }),
  })

  it('gives back each stream in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.integer({ min: 1, max: 64 }),
        async (writes, cutPoints, highWaterMark) => {
          const output = new Sink('async', highWaterMark)
          const muxer = new StdcopyMuxer(output)
          const writables = { 1: muxer.writable(1), 2: muxer.writable(2) }
          for (const { stream, data } of writes) await writeAsync(writables[stream], data)
          await new Promise<void>((resolve) => output.end(resolve))

          const muxed = output.data
          const frames = writes.filter(({ data }) => data.length > 0)
          expect(muxed.length).toBe(frames.reduce((sum, { data }) => sum + 8 + data.length, 0))

          const positions = [...new Set(cutPoints.map((cut) => cut % (muxed.length + 1)))]
          positions.sort((a, b) => a - b)
          const bounds = [0, ...positions, muxed.length]
          const chunks = bounds.slice(1).map((end, i) => muxed.subarray(bounds[i], end))
          const stdout = new Sink('async', highWaterMark)
          const stderr = new Sink('async', highWaterMark)
          const flushed = Promise.all([stdout, stderr].map((sink) => finished(sink)))
          const demuxer = new StdcopyDemuxer({ stdout, stderr, end: true })
          for (const chunk of chunks) await writeAsync(demuxer, chunk)
          demuxer.end()
          await flushed

          const expected = (stream: 1 | 2) =>
            Buffer.concat(writes.filter((item) => item.stream === stream).map(({ data }) => data))
          expect(stdout.data).toEqual(expected(1))
          expect(stderr.data).toEqual(expected(2))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
