import fc from 'fast-check'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'

import { formatDetachKeys, parseDetachKeys } from './detach-keys.js'
import {
  InvalidDetachKeysError,
  StreamError,
  TruncatedFrameError,
  UnrecognizedStreamError,
} from './errors.js'
import { DetachKeyFilter } from './escape-scanner.js'
import { StdcopyDemuxer, frameHeader } from './stdcopy.js'

class Collector extends Writable {
  readonly chunks: Buffer[] = []

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk)
    callback()
  }

  get data(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

/** Demuxes `chunks`; returns both outputs and the error the demuxer failed with, if any. */
function demux(chunks: Uint8Array[]): Promise<{ stdout: Buffer; stderr: Buffer; error: unknown }> {
  const stdout = new Collector()
  const stderr = new Collector()
  const demuxer = new StdcopyDemuxer({ stdout, stderr })
  return new Promise((resolve) => {
    const done = (error: unknown) => resolve({ stdout: stdout.data, stderr: stderr.data, error })
    demuxer.once('error', done)
    demuxer.once('finish', () => done(undefined))
    for (const chunk of chunks) demuxer.write(Buffer.from(chunk))
    demuxer.end()
  })
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const positions = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const bounds = [0, ...positions, bytes.length]
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end))
}

const TYPED_DEMUX_ERRORS = [StreamError, TruncatedFrameError, UnrecognizedStreamError]

describe('StdcopyDemuxer fuzz', () => {
  it('gives back framed stdout and stderr for any split', async () => {
    const frame = fc.record({ stream: fc.constantFrom(1 as const, 2 as const), data: fc.uint8Array({ maxLength: 30 }) })
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 8 }), async (frames, cuts) => {
        const muxed = Buffer.concat(frames.flatMap(({ stream, data }) => [frameHeader(stream, data.length), data]))
        const result = await demux(splitAt(muxed, cuts))
        const expected = (stream: 1 | 2) => Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.data))
        expect(result.error).toBe(undefined)
        expect(result.stdout).toEqual(expected(1))
        expect(result.stderr).toEqual(expected(2))
      }),
      { numRuns: 10_000 },
    )
  }, 60_000)

  it('fails on arbitrary bytes with a typed error only', async () => {
    // Small lengths in the header keep most inputs complete, so both the
    // success path and every error path are reached.
    const header = fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 12 })).map(([stream, length]) => {
      const bytes = Buffer.alloc(8)
      bytes[0] = stream
      bytes.writeUInt32BE(length, 4)
      return bytes
    })
    const piece = fc.oneof(header, fc.uint8Array({ maxLength: 16 }))
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), async (pieces, cuts) => {
        const { error } = await demux(splitAt(Buffer.concat(pieces), cuts))
        if (error !== undefined) expect(TYPED_DEMUX_ERRORS.some((type) => error instanceof type)).toBe(true)
      }),
      { numRuns: 10_000 },
    )
  }, 60_000)
})

describe('parseDetachKeys fuzz', () => {
  const element = fc.oneof(
    fc.string({ maxLength: 3 }),
    fc.constantFrom('ctrl-p', 'ctrl-q', 'ctrl-@', 'ctrl-_', 'ctrl-A', 'DEL', 'del', ','),
  )
  const keys = fc.oneof(fc.string({ maxLength: 20 }), fc.array(element, { maxLength: 5 }).map((parts) => parts.join(',')))

  it('returns bytes or throws InvalidDetachKeysError with the input in the message', () => {
    fc.assert(
      fc.property(keys, (text) => {
        try {
          expect(parseDetachKeys(text).length).toBe(text.split(',').length)
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidDetachKeysError)
          expect((err as Error).message).toBe(`Invalid escape keys (${text}) provided`)
        }
      }),
      { numRuns: 20_000 },
    )
  }, 60_000)

  it('parses back what formatDetachKeys writes', () => {
    // Bytes below 0x80 except the comma have a notation.
    const asciiKeys = fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) =>
      bytes.map((b) => ((b & 0x7f) === 0x2c ? 0x2d : b & 0x7f)),
    )
    fc.assert(
      fc.property(asciiKeys, (bytes) => {
        expect([...parseDetachKeys(formatDetachKeys(bytes))]).toEqual([...bytes])
      }),
      { numRuns: 10_000 },
    )
  }, 60_000)
})

async function scan(keys: Uint8Array, chunks: Uint8Array[]): Promise<{ output: number[]; detached: boolean }> {
  const filter = new DetachKeyFilter(keys)
  const output: number[] = []
  filter.on('data', (chunk: Buffer) => output.push(...chunk))
  const ended = new Promise<void>((resolve) => filter.once('end', resolve))
  for (const chunk of chunks) filter.write(Buffer.from(chunk))
  filter.end()
  await ended
  return { output, detached: filter.detached }
}

describe('DetachKeyFilter fuzz', () => {
  it('gives the same result for a split at every position', async () => {
    const alphabet = fc.constantFrom(0x10, 0x11, 0x61)
    const keys = fc.array(alphabet, { minLength: 1, maxLength: 3 }).map((list) => Uint8Array.from(list))
    await fc.assert(
      fc.asyncProperty(keys, fc.array(alphabet, { maxLength: 16 }), async (keyBytes, list) => {
        const input = Uint8Array.from(list)
        const whole = await scan(keyBytes, [input])
        for (let cut = 0; cut <= input.length; cut++) {
          const split = await scan(keyBytes, [input.subarray(0, cut), input.subarray(cut)])
          expect(split).toEqual(whole)
        }
        expect(await scan(keyBytes, [...input].map((b) => Uint8Array.of(b)))).toEqual(whole)
      }),
      { numRuns: 3_000 },
    )
  }, 60_000)
})
