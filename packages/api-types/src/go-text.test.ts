import { describe, expect, it } from 'vitest'

import { isGoSpace, quoteGoByte, quoteGoString, trimGoSpace } from './go-text.js'

describe('quoteGoString', () => {
  it.each([
    { doc: 'plain text', input: 'abc', expected: '"abc"' },
    { doc: 'empty', input: '', expected: '""' },
    { doc: 'quote and backslash', input: 'a"b\\c', expected: '"a\\"b\\\\c"' },
    { doc: 'short escapes', input: '\x07\b\f\n\r\t\v', expected: '"\\a\\b\\f\\n\\r\\t\\v"' },
    { doc: 'other control bytes', input: '\x00\x1b\x7f', expected: '"\\x00\\x1b\\x7f"' },
    { doc: 'printable Latin-1', input: 'é¡ÿ', expected: '"é¡ÿ"' },
    { doc: 'C1 control', input: '\x85', expected: '"\\u0085"' },
    { doc: 'no-break space', input: '\xa0', expected: '"\\u00a0"' },
    { doc: 'soft hyphen', input: '\xad', expected: '"\\u00ad"' },
    { doc: 'printable outside Latin-1', input: 'ж€😀', expected: '"ж€😀"' },
    { doc: 'format character', input: '\u200b', expected: '"\\u200b"' },
    { doc: 'astral non-printable', input: '\u{e0001}', expected: '"\\U000e0001"' },
    { doc: 'lone surrogate', input: '\ud800', expected: '"�"' },
  ])('quotes $doc', ({ input, expected }) => {
    expect(quoteGoString(input)).toBe(expected)
  })
})

describe('quoteGoByte', () => {
  it.each([
    { doc: 'letter', byte: 0x78, expected: "'x'" },
    { doc: 'single quote', byte: 0x27, expected: "'\\''" },
    { doc: 'double quote', byte: 0x22, expected: `'"'` },
    { doc: 'backslash', byte: 0x5c, expected: "'\\\\'" },
    { doc: 'newline', byte: 0x0a, expected: "'\\n'" },
    { doc: 'NUL', byte: 0x00, expected: "'\\x00'" },
    { doc: 'UTF-8 lead byte', byte: 0xc3, expected: "'Ã'" },
    { doc: 'UTF-8 continuation byte', byte: 0x80, expected: "'\\u0080'" },
  ])('quotes $doc', ({ byte, expected }) => {
    expect(quoteGoByte(byte)).toBe(expected)
  })
})

describe('isGoSpace', () => {
  it.each([' ', '\t', '\v', '\x85', '\xa0', '\u2000', '\u200a', '\u3000'])('accepts %j', (char) => {
    expect(isGoSpace(char)).toBe(true)
  })

  it.each(['a', '\ufeff', '\u200b', '\u180e'])('rejects %j', (char) => {
    expect(isGoSpace(char)).toBe(false)
  })
})

describe('trimGoSpace', () => {
  it('trims both ends', () => {
    expect(trimGoSpace('\x85 a b\xa0')).toBe('a b')
  })

  it('keeps a byte order mark', () => {
    expect(trimGoSpace('\ufeffa')).toBe('\ufeffa')
  })
})
