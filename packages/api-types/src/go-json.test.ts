import { describe, expect, it } from 'vitest'

import { readJsonValue, type JsonValue } from './go-json.js'

function read(text: string | Buffer) {
  return readJsonValue(typeof text === 'string' ? Buffer.from(text) : text)
}

function messageOf(text: string | Buffer): string {
  const result = read(text)
  return result.ok ? 'ok' : result.message
}

function stringValue(text: string | Buffer): string {
  const result = read(text)
  if (!result.ok || result.value.kind !== 'string') throw new Error(`not a string: ${String(text)}`)
  return result.value.value
}

describe('readJsonValue', () => {
  it.each([
    {
      doc: 'object key',
      input: '{1}',
      expected: "invalid character '1' looking for beginning of object key string",
    },
    {
      doc: 'key after comma',
      input: '{"a":1,}',
      expected: "invalid character '}' looking for beginning of object key string",
    },
    { doc: 'missing colon', input: '{"a" 1}', expected: "invalid character '1' after object key" },
    {
      doc: 'missing comma',
      input: '{"a":1 "b":2}',
      expected: `invalid character '"' after object key:value pair`,
    },
    {
      doc: 'value after comma',
      input: '[1,]',
      expected: "invalid character ']' looking for beginning of value",
    },
    {
      doc: 'array separator',
      input: '[1 2]',
      expected: "invalid character '2' after array element",
    },
    {
      doc: 'bare word',
      input: 'x',
      expected: "invalid character 'x' looking for beginning of value",
    },
    {
      doc: 'single quotes',
      input: "{'a':1}",
      expected: "invalid character '\\'' looking for beginning of object key string",
    },
    {
      doc: 'leading zero',
      input: '{"a":01}',
      expected: "invalid character '1' after object key:value pair",
    },
    { doc: 'lone minus', input: '[-x]', expected: "invalid character 'x' in numeric literal" },
    {
      doc: 'bare decimal point',
      input: '[1.e1]',
      expected: "invalid character 'e' after decimal point in numeric literal",
    },
    {
      doc: 'empty exponent',
      input: '[1e+]',
      expected: "invalid character ']' in exponent of numeric literal",
    },
    {
      doc: 'literal true',
      input: '[tRue]',
      expected: "invalid character 'R' in literal true (expecting 'r')",
    },
    {
      doc: 'literal false',
      input: '[fals]',
      expected: "invalid character ']' in literal false (expecting 'e')",
    },
    {
      doc: 'literal null',
      input: '[nil]',
      expected: "invalid character 'i' in literal null (expecting 'u')",
    },
    {
      doc: 'control character',
      input: '["a\nb"]',
      expected: "invalid character '\\n' in string literal",
    },
    { doc: 'escape', input: '["\\x"]', expected: "invalid character 'x' in string escape code" },
    {
      doc: 'unicode escape',
      input: '["\\u12g4"]',
      expected: "invalid character 'g' in \\u hexadecimal character escape",
    },
    {
      doc: 'non-ASCII byte',
      input: '{é:1}',
      expected: "invalid character 'Ã' looking for beginning of object key string",
    },
    {
      doc: 'byte order mark',
      input: '\ufeff{}',
      expected: "invalid character 'ï' looking for beginning of value",
    },
  ])('reports $doc', ({ input, expected }) => {
    expect(messageOf(input)).toBe(expected)
  })

  const truncated = ['{', '{"a"', '{"a":', '{"a":1', '{"a":1,', '["ab', '["\\', '["\\u12', '[tr']
  it.each([...truncated, '-', '1.', '1e', '1e-'])('reports unexpected EOF for %j', (input) => {
    expect(messageOf(input)).toBe('unexpected EOF')
  })

  it('reports EOF for whitespace only', () => {
    expect(read(' \t\r\n')).toEqual({ ok: false, eof: true, message: 'EOF' })
  })

  it('accepts 10000 levels of nesting', () => {
    expect(messageOf(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toBe('ok')
  })

  it('rejects 10001 levels of nesting', () => {
    expect(messageOf('['.repeat(10_001))).toBe("invalid character '[' exceeded max depth")
  })

  it('stops after the first value', () => {
    expect(read('{} x')).toMatchObject({ ok: true, end: 2 })
  })

  it('ends a top-level number at the first other byte', () => {
    expect(read('12x')).toEqual({ ok: true, value: { kind: 'number', text: '12' }, end: 2 })
  })

  it('keeps duplicate keys in order', () => {
    const value: JsonValue = {
      kind: 'object',
      entries: [
        ['a', { kind: 'number', text: '1' }],
        ['a', { kind: 'null' }],
      ],
    }
    expect(read('{"a":1,"a":null}')).toMatchObject({ ok: true, value })
  })

  it.each([
    { doc: 'simple escapes', input: '"\\"\\\\\\/\\b\\f\\n\\r\\t"', expected: '"\\/\b\f\n\r\t' },
    { doc: 'BMP escape', input: '"\\u00e9\\u20AC"', expected: 'é€' },
    { doc: 'surrogate pair', input: '"\\ud83d\\ude00"', expected: '😀' },
    { doc: 'lone high surrogate', input: '"\\ud83dx"', expected: '\ufffdx' },
    { doc: 'lone low surrogate', input: '"\\ude00"', expected: '\ufffd' },
    { doc: 'high then BMP escape', input: '"\\ud83d\\u0041"', expected: '\ufffdA' },
    { doc: 'raw UTF-8', input: '"é😀"', expected: 'é😀' },
  ])('decodes $doc', ({ input, expected }) => {
    expect(stringValue(input)).toBe(expected)
  })

  it.each([
    { doc: 'stray continuation byte', bytes: [0x22, 0x80, 0x41, 0x22], expected: '\ufffdA' },
    { doc: 'truncated sequence', bytes: [0x22, 0xe2, 0x82, 0x22], expected: '\ufffd\ufffd' },
    { doc: 'overlong encoding', bytes: [0x22, 0xc0, 0xaf, 0x22], expected: '\ufffd\ufffd' },
    {
      doc: 'encoded surrogate',
      bytes: [0x22, 0xed, 0xa0, 0x80, 0x22],
      expected: '\ufffd\ufffd\ufffd',
    },
    {
      doc: 'beyond U+10FFFF',
      bytes: [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22],
      expected: '\ufffd'.repeat(4),
    },
  ])('replaces invalid UTF-8 per byte: $doc', ({ bytes, expected }) => {
    expect(stringValue(Buffer.from(bytes))).toBe(expected)
  })
})
