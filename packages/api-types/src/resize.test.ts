import { describe, expect, it } from 'vitest'

import { InvalidParameterError } from './errors.js'
import { parseResizeQuery } from './resize.js'

function resizeError(query: { h?: string; w?: string }): string {
  try {
    parseResizeQuery(query)
  } catch (error) {
    if (error instanceof InvalidParameterError) return error.message
    throw error
  }
  return 'accepted'
}

describe('parseResizeQuery', () => {
  it('parses both dimensions', () => {
    expect(parseResizeQuery({ h: '24', w: '80' })).toEqual({ height: 24, width: 80 })
  })

  it('accepts zero', () => {
    expect(parseResizeQuery({ h: '0', w: '0' })).toEqual({ height: 0, width: 0 })
  })

  it('accepts the largest uint32', () => {
    expect(parseResizeQuery({ h: '4294967295', w: '1' })).toEqual({ height: 4294967295, width: 1 })
  })

  it('accepts leading zeros', () => {
    expect(parseResizeQuery({ h: '007', w: '1' })).toEqual({ height: 7, width: 1 })
  })

  it.each([
    {
      doc: 'missing height',
      query: { w: '80' },
      expected: 'invalid resize height "": invalid syntax',
    },
    {
      doc: 'missing width',
      query: { h: '24' },
      expected: 'invalid resize width "": invalid syntax',
    },
    {
      doc: 'empty height',
      query: { h: '', w: '80' },
      expected: 'invalid resize height "": invalid syntax',
    },
    {
      doc: 'non-numeric',
      query: { h: 'abc', w: '80' },
      expected: 'invalid resize height "abc": invalid syntax',
    },
    {
      doc: 'plus sign',
      query: { h: '+1', w: '80' },
      expected: 'invalid resize height "+1": invalid syntax',
    },
    {
      doc: 'lone minus',
      query: { h: '-', w: '80' },
      expected: 'invalid resize height "-": invalid syntax',
    },
    {
      doc: 'double minus',
      query: { h: '--1', w: '80' },
      expected: 'invalid resize height "--1": invalid syntax',
    },
    {
      doc: 'space',
      query: { h: ' 1', w: '80' },
      expected: 'invalid resize height " 1": invalid syntax',
    },
    {
      doc: 'negative',
      query: { h: '-100', w: '80' },
      expected: 'invalid resize height "-100": value out of range',
    },
    {
      doc: 'negative zero',
      query: { h: '-0', w: '80' },
      expected: 'invalid resize height "-0": value out of range',
    },
    {
      doc: 'too large',
      query: { h: '24', w: '4294967296' },
      expected: 'invalid resize width "4294967296": value out of range',
    },
    {
      doc: 'overflow first',
      query: { h: '99999999999x', w: '1' },
      expected: 'invalid resize height "99999999999x": value out of range',
    },
    {
      doc: 'quoted value',
      query: { h: '"\n', w: '1' },
      expected: 'invalid resize height "\\"\\n": invalid syntax',
    },
  ])('rejects $doc', ({ query, expected }) => {
    expect(resizeError(query)).toBe(expected)
  })

  it('checks the height first', () => {
    expect(resizeError({ h: 'x', w: 'y' })).toBe('invalid resize height "x": invalid syntax')
  })

  it('names the parameter', () => {
    expect(() => parseResizeQuery({ h: '1', w: 'y' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER', parameter: 'w', value: 'y' }),
    )
  })
})
