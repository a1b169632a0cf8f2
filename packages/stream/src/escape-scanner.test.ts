import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { DetachKeyFilter } from './escape-scanner.js'

const CTRL_P = 0x10
const CTRL_Q = 0x11
const DEFAULT_KEYS = Buffer.from([CTRL_P, CTRL_Q])

interface FilterResult {
  output: Buffer
  detached: boolean
  detachEvents: number
  pushed: Buffer[]
}

/** Writes `chunks` through a filter, ends it, and collects what comes out. */
async function filter(keys: Uint8Array, chunks: Uint8Array[]): Promise<FilterResult> {
  const scanner = new DetachKeyFilter(keys)
  const pushed: Buffer[] = []
  let detachEvents = 0
  scanner.on('detach', () => detachEvents++)
  scanner.on('data', (chunk: Buffer) => pushed.push(chunk))
  const ended = new Promise<void>((resolve, reject) => {
    scanner.on('end', resolve)
    scanner.on('error', reject)
  })
  for (const chunk of chunks) scanner.write(Buffer.from(chunk))
  scanner.end()
  await ended
  return { output: Buffer.concat(pushed), detached: scanner.detached, detachEvents, pushed }
}

/** Reference model: dockerd's escape proxy applied byte by byte to the whole input. */
function referenceFilter(
  keys: Uint8Array,
  input: Uint8Array,
): { output: number[]; detached: boolean } {
  const output: number[] = []
  let held: number[] = []
  for (const byte of input) {
    if (keys.length > 0 && byte === keys[held.length]) {
      held.push(byte)
      if (held.length === keys.length) return { output, detached: true }
    } else {
      output.push(...held, byte)
      held = []
    }
  }
  return { output: [...output, ...held], detached: false }
}

const bytes = (text: string) => Buffer.from(text, 'latin1')

describe('DetachKeyFilter', () => {
  it.each([
    { doc: 'plain text passes', chunks: ['hello'], output: 'hello', detached: false },
    { doc: 'keys detach', chunks: ['\x10\x11'], output: '', detached: true },
    { doc: 'bytes before keys pass', chunks: ['ab\x10\x11'], output: 'ab', detached: true },
    { doc: 'letter then keys detach', chunks: ['x\x10\x11'], output: 'x', detached: true },
    {
      doc: 'mismatching key byte is not retested',
      chunks: ['\x10\x10\x11'],
      output: '\x10\x10\x11',
      detached: false,
    },
    { doc: 'partial match released', chunks: ['\x10x'], output: '\x10x', detached: false },
    { doc: 'match spans chunks', chunks: ['a\x10', '\x11b'], output: 'a', detached: true },
    {
      doc: 'withheld byte released in next chunk',
      chunks: ['a\x10', 'xb'],
      output: 'a\x10xb',
      detached: false,
    },
    {
      doc: 'held byte then keys in next chunk',
      chunks: ['\x10', 'x\x10\x11'],
      output: '\x10x',
      detached: true,
    },
    { doc: 'held byte released at end', chunks: ['ab\x10'], output: 'ab\x10', detached: false },
    {
      doc: 'input after keys dropped',
      chunks: ['\x10\x11after', 'more'],
      output: '',
      detached: true,
    },
    { doc: 'reversed keys pass', chunks: ['\x11\x10'], output: '\x11\x10', detached: false },
    {
      doc: 'keys one byte per chunk',
      chunks: ['a', '\x10', '\x11', 'b'],
      output: 'a',
      detached: true,
    },
    { doc: 'empty chunks ignored', chunks: ['', '\x10', '', '\x11'], output: '', detached: true },
  ])('$doc', async ({ chunks, output, detached }) => {
    const result = await filter(DEFAULT_KEYS, chunks.map(bytes))
    expect(result.output.toString('latin1')).toBe(output)
    expect(result.detached).toBe(detached)
  })

  it.each([
    { doc: 'one key', keys: 'q', chunks: ['abqc'], output: 'ab', detached: true },
    { doc: 'repeated prefix', keys: 'aab', chunks: ['aaab'], output: 'aaab', detached: false },
    {
      doc: 'repeated prefix after break',
      keys: 'aab',
      chunks: ['aaxaab'],
      output: 'aax',
      detached: true,
    },
    {
      doc: 'three keys across chunks',
      keys: 'xyz',
      chunks: ['1x', 'y', 'z2'],
      output: '1',
      detached: true,
    },
    {
      doc: 'three keys broken late',
      keys: 'xyz',
      chunks: ['x', 'y', 'x'],
      output: 'xyx',
      detached: false,
    },
    {
      doc: 'empty keys never match',
      keys: '',
      chunks: ['\x10\x11'],
      output: '\x10\x11',
      detached: false,
    },
  ])('handles $doc', async ({ keys, chunks, output, detached }) => {
    const result = await filter(bytes(keys), chunks.map(bytes))
    expect(result.output.toString('latin1')).toBe(output)
    expect(result.detached).toBe(detached)
  })

  it('emits detach once', async () => {
    const result = await filter(DEFAULT_KEYS, [bytes('\x10\x11\x10\x11'), bytes('\x10\x11')])
    expect(result.detachEvents).toBe(1)
  })

  it('passes a chunk without key bytes uncopied', async () => {
    const chunk = bytes('no keys here')
    const scanner = new DetachKeyFilter(DEFAULT_KEYS)
    const pushed: Buffer[] = []
    scanner.on('data', (data: Buffer) => pushed.push(data))
    scanner.end(chunk)
    await new Promise((resolve) => scanner.on('end', resolve))
    expect(pushed[0]).toBe(chunk)
  })

  it('copies the keys it is given', async () => {
    const keys = Buffer.from(DEFAULT_KEYS)
    const scanner = new DetachKeyFilter(keys)
    keys.fill(0x61)
    const detached = new Promise((resolve) => scanner.on('detach', () => resolve(true)))
    scanner.resume()
    scanner.write(bytes('\x10\x11'))
    await expect(detached).resolves.toBe(true)
  })

  it('matches the reference model', async () => {
    const alphabet = fc.constantFrom(CTRL_P, CTRL_Q, 0x61, 0x62)
    const keys = fc.array(alphabet, { minLength: 1, maxLength: 3 }).map((list) => Buffer.from(list))
    const input = fc.array(alphabet, { maxLength: 40 })
    const cuts = fc.array(fc.nat({ max: 40 }), { maxLength: 8 })
    await fc.assert(
      fc.asyncProperty(keys, input, cuts, async (keyBytes, inputBytes, cutPoints) => {
        const inside = cutPoints.filter((cut) => cut < inputBytes.length)
        const positions = [...new Set([0, ...inside, inputBytes.length])].sort((a, b) => a - b)
        const chunks = positions
          .slice(1)
          .map((end, i) => Uint8Array.from(inputBytes.slice(positions[i], end)))
        const expected = referenceFilter(keyBytes, Uint8Array.from(inputBytes))
        const result = await filter(keyBytes, chunks)
        expect([...result.output]).toEqual(expected.output)
        expect(result.detached).toBe(expected.detached)
      }),
      { numRuns: 2000 },
    )
  })
})
