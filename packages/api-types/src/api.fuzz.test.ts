import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { parseJsonBody } from './body.js'
import { InvalidBodyError, InvalidParameterError } from './errors.js'
import { parseResizeQuery } from './resize.js'
import { ExecCreateBody, ExecStartBody } from './schemas.js'

const schemas = [
  ['ExecCreateBody', ExecCreateBody],
  ['ExecStartBody', ExecStartBody],
] as const

/** Parses and returns 'accepted' or the message of an InvalidBodyError; any other throw fails the property. */
function outcome(schema: (typeof schemas)[number][1], body: string | Uint8Array, contentType = 'application/json') {
  try {
    parseJsonBody(schema, body, contentType)
    return 'accepted'
  } catch (err) {
    if (!(err instanceof InvalidBodyError)) throw err
    expect(err.message.length).toBeGreaterThan(0)
    return err.message
  }
}

describe.each(schemas)('parseJsonBody(%s) fuzz', (_name, schema) => {
  it('accepts or rejects any JSON value with InvalidBodyError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        outcome(schema, JSON.stringify(value))
      }),
      { numRuns: 10_000 },
    )
  }, 60_000)

  it('accepts or rejects any object of known keys with InvalidBodyError', () => {
    const keys = Object.keys(schema.shape)
    const entry = fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.mixedCase(fc.constantFrom(...keys))), fc.jsonValue({ maxDepth: 2 }))
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
        outcome(schema, `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`)
      }),
      { numRuns: 5_000 },
    )
  }, 60_000)

  it('accepts or rejects arbitrary bytes with InvalidBodyError', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.uint8Array({ maxLength: 40 }))
    fc.assert(
      fc.property(text, (body) => {
        outcome(schema, body)
      }),
      { numRuns: 5_000 },
    )
  }, 60_000)
})

describe('parseResizeQuery fuzz', () => {
  const value = fc.option(
    fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^0{0,3}\d{1,11}$/), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).map(String)),
    { nil: undefined },
  )

  it('returns a size within uint32 or throws InvalidParameterError', () => {
    fc.assert(
      fc.property(value, value, (h, w) => {
        try {
          const size = parseResizeQuery({ h, w })
          expect(h).toMatch(/^\d+$/)
          expect(w).toMatch(/^\d+$/)
          expect(size.height).toBe(Number(h))
          expect(size.width).toBe(Number(w))
          expect(size.height).toBeLessThanOrEqual(0xffff_ffff)
          expect(size.width).toBeLessThanOrEqual(0xffff_ffff)
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidParameterError)
          expect((err as Error).message).toMatch(/^invalid resize (height|width) /)
        }
      }),
      { numRuns: 10_000 },
    )
  }, 60_000)
})
