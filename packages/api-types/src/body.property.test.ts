import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { parseJsonBody } from './body.js'
import { InvalidBodyError } from './errors.js'
import { ExecCreateBody } from './schemas.js'

const RUNS = { numRuns: 2000 }
const JSON_TYPE = 'application/json'

const FIELD_KINDS = {
  User: 'string',
  Privileged: 'bool',
  Tty: 'bool',
  ConsoleSize: 'consoleSize',
  AttachStdin: 'bool',
  AttachStderr: 'bool',
  AttachStdout: 'bool',
  DetachKeys: 'string',
  Env: 'strings',
  WorkingDir: 'string',
  Cmd: 'strings',
} as const

type FieldName = keyof typeof FIELD_KINDS
const FIELD_NAMES = Object.keys(FIELD_KINDS) as FieldName[]

/** Returns the outcome of a parse, failing the property on any error but InvalidBodyError. */
function outcome(body: string | Uint8Array, contentType: string | undefined): string {
  try {
    parseJsonBody(ExecCreateBody, body, contentType)
    return 'accepted'
  } catch (error) {
    if (error instanceof InvalidBodyError) return error.message
    throw error
  }
}

const anyKey = fc.oneof(fc.mixedCase(fc.constantFrom(...FIELD_NAMES)), fc.string())
const anyObject = fc.array(fc.tuple(anyKey, fc.jsonValue({ maxDepth: 3 })), { maxLength: 8 })

function objectText(entries: Array<[string, unknown]>): string {
  const members = entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
  return `{${members.join(',')}}`
}

const validValue = {
  bool: fc.boolean(),
  string: fc.string({ unit: 'binary' }),
  strings: fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 }),
  consoleSize: fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 3 }),
}

const validEntry = fc.constantFrom(...FIELD_NAMES).chain((name) =>
  fc.tuple(
    fc.mixedCase(fc.constant(name)),
    fc.constant(name),
    fc.option(validValue[FIELD_KINDS[name]] as fc.Arbitrary<unknown>, { nil: null }),
  ),
)

/** Applies entries in order the way Go fills a struct: later keys win, null resets slices. */
function expectedBody(entries: Array<[string, FieldName, unknown]>): Record<string, unknown> {
  const body: Record<string, unknown> = parseJsonBody(ExecCreateBody, '', undefined)
  for (const [, name, value] of entries) {
    const kind = FIELD_KINDS[name]
    if (value === null) {
      if (kind === 'strings' || kind === 'consoleSize') body[name] = null
    } else if (kind === 'consoleSize') {
      const size = value as number[]
      body[name] = [size[0] ?? 0, size[1] ?? 0]
    } else {
      body[name] = value
    }
  }
  return body
}

describe('parseJsonBody properties', () => {
  it('accepts or rejects any object with InvalidBodyError', () => {
    fc.assert(
      fc.property(anyObject, (entries) => {
        expect(typeof outcome(objectText(entries), JSON_TYPE)).toBe('string')
      }),
      RUNS,
    )
  })

  it('accepts or rejects any text with InvalidBodyError', () => {
    const contentType = fc.option(fc.oneof(fc.constant(JSON_TYPE), fc.string()), { nil: undefined })
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), contentType, (body, type) => {
        expect(typeof outcome(body, type)).toBe('string')
      }),
      RUNS,
    )
  })

  it('accepts or rejects any bytes with InvalidBodyError', () => {
    const jsonish = fc.constantFrom(...'{}[]":,-0123456789.eE+truefalsn \\u'.split(''))
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(jsonish, { maxLength: 40 }).map((chars) => Buffer.from(chars.join(''))),
    )
    fc.assert(
      fc.property(bytes, (body) => {
        expect(typeof outcome(body, JSON_TYPE)).toBe('string')
      }),
      RUNS,
    )
  })

  it('decodes well-typed fields in any casing like Go', () => {
    fc.assert(
      fc.property(fc.array(validEntry, { maxLength: 12 }), (entries) => {
        const text = objectText(entries.map(([key, , value]) => [key, value]))
        expect(parseJsonBody(ExecCreateBody, text, JSON_TYPE)).toEqual(expectedBody(entries))
      }),
      RUNS,
    )
  })

  it('never reports a syntax error for valid JSON', () => {
    const indent = fc.constantFrom(undefined, 0, 1, '\t')
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), indent, (value, space) => {
        const message = outcome(JSON.stringify(value, null, space), JSON_TYPE)
        expect(message).toMatch(/^(accepted|invalid JSON: json: cannot unmarshal .*)$/)
      }),
      RUNS,
    )
  })

  it('reports unexpected EOF for every cut object', () => {
    const cut = anyObject.chain((entries) => {
      const text = objectText(entries)
      return fc.tuple(fc.constant(text), fc.integer({ min: 1, max: text.length - 1 }))
    })
    fc.assert(
      fc.property(cut, ([text, length]) => {
        expect(outcome(text.slice(0, length), JSON_TYPE)).toBe('invalid JSON: unexpected EOF')
      }),
      RUNS,
    )
  })

  it('round-trips strings written with \\u escapes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (user) => {
        const escaped = [...user]
          .flatMap((char) => char.split('').map((unit) => unit.charCodeAt(0)))
          .map((unit) => `\\u${unit.toString(16).padStart(4, '0')}`)
          .join('')
        const body = parseJsonBody(ExecCreateBody, `{"User":"${escaped}"}`, JSON_TYPE)
        expect(body.User).toBe(user)
      }),
      RUNS,
    )
  })
})
