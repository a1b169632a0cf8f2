import { describe, expect, it } from 'vitest'

import { DEFAULT_DETACH_KEYS, formatDetachKeys, parseDetachKeys } from './detach-keys.js'
import { InvalidDetachKeysError } from './errors.js'

describe('DEFAULT_DETACH_KEYS', () => {
  it('is ctrl-p then ctrl-q', () => {
    expect([...DEFAULT_DETACH_KEYS]).toEqual([16, 17])
  })
})

describe('parseDetachKeys', () => {
  it.each([
    { doc: 'default sequence', keys: 'ctrl-p,ctrl-q', expected: [16, 17] },
    { doc: 'single letter', keys: 'a', expected: [0x61] },
    { doc: 'upper-case letter', keys: 'Z', expected: [0x5a] },
    { doc: 'digit', keys: '1', expected: [0x31] },
    { doc: 'space', keys: ' ', expected: [0x20] },
    { doc: 'ctrl-@', keys: 'ctrl-@', expected: [0] },
    { doc: 'ctrl-a', keys: 'ctrl-a', expected: [1] },
    { doc: 'ctrl-z', keys: 'ctrl-z', expected: [26] },
    { doc: 'ctrl-[', keys: 'ctrl-[', expected: [27] },
    { doc: 'ctrl-\\', keys: 'ctrl-\\', expected: [28] },
    { doc: 'ctrl-]', keys: 'ctrl-]', expected: [29] },
    { doc: 'ctrl-^', keys: 'ctrl-^', expected: [30] },
    { doc: 'ctrl-_', keys: 'ctrl-_', expected: [31] },
    { doc: 'DEL', keys: 'DEL', expected: [127] },
    { doc: 'mixed sequence', keys: 'ctrl-x,a,DEL', expected: [24, 0x61, 127] },
  ])('parses $doc', ({ keys, expected }) => {
    expect([...parseDetachKeys(keys)]).toEqual(expected)
  })

  it.each([
    { doc: 'empty string', keys: '', element: '' },
    { doc: 'empty element', keys: 'a,,b', element: '' },
    { doc: 'trailing comma', keys: 'ctrl-p,', element: '' },
    { doc: 'lone comma', keys: ',', element: '' },
    { doc: 'upper-case control', keys: 'ctrl-A', element: 'ctrl-A' },
    { doc: 'control digit', keys: 'ctrl-1', element: 'ctrl-1' },
    { doc: 'multi-byte character', keys: 'é', element: 'é' },
    { doc: 'astral character', keys: '😀', element: '😀' },
    { doc: 'two characters', keys: 'ab', element: 'ab' },
    { doc: 'lower-case del', keys: 'del', element: 'del' },
  ])('rejects $doc', ({ keys, element }) => {
    expect(() => parseDetachKeys(keys)).toThrow(
      expect.objectContaining({
        code: 'INVALID_DETACH_KEYS',
        message: `Invalid escape keys (${keys}) provided`,
        element,
      }),
    )
  })

  it('throws InvalidDetachKeysError', () => {
    expect(() => parseDetachKeys('x,')).toThrow(InvalidDetachKeysError)
  })
})

describe('formatDetachKeys', () => {
  it.each([
    { doc: 'default sequence', bytes: [16, 17], expected: 'ctrl-p,ctrl-q' },
    { doc: 'printable bytes', bytes: [0x61, 0x20, 0x7e], expected: 'a, ,~' },
    { doc: 'ctrl-@ and DEL', bytes: [0, 127], expected: 'ctrl-@,DEL' },
    { doc: 'comma', bytes: [0x2c], expected: '0x2c' },
    { doc: 'high byte', bytes: [0xff], expected: '0xff' },
    { doc: 'nothing', bytes: [], expected: '' },
  ])('formats $doc', ({ bytes, expected }) => {
    expect(formatDetachKeys(Buffer.from(bytes))).toBe(expected)
  })

  it('round-trips every expressible byte', () => {
    const bytes = [...Array(128).keys()].filter((byte) => byte !== 0x2c)
    expect([...parseDetachKeys(formatDetachKeys(Buffer.from(bytes)))]).toEqual(bytes)
  })
})
