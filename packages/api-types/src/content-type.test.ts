import { describe, expect, it } from 'vitest'

import { parseMediaType } from './content-type.js'

describe('parseMediaType', () => {
  it.each([
    { doc: 'bare type', input: 'application/json', expected: 'application/json' },
    { doc: 'upper case', input: 'Application/JSON', expected: 'application/json' },
    { doc: 'charset', input: 'application/json; charset=utf-8', expected: 'application/json' },
    { doc: 'quoted value', input: 'application/json; a="x;y"', expected: 'application/json' },
    { doc: 'empty quoted value', input: 'application/json; a=""', expected: 'application/json' },
    { doc: 'trailing semicolon', input: 'application/json;', expected: 'application/json' },
    { doc: 'same parameter twice', input: 'text/plain; a=1; A=1', expected: 'text/plain' },
    { doc: 'surrounding space', input: ' application/json ', expected: 'application/json' },
    { doc: 'type without subtype', input: 'application', expected: 'application' },
    { doc: 'dotted capital I', input: 'applİcation/json', expected: 'application/json' },
  ])('accepts $doc', ({ input, expected }) => {
    expect(parseMediaType(input)).toEqual({ mediaType: expected })
  })

  it.each([
    { doc: 'empty', input: '', expected: 'mime: no media type' },
    { doc: 'only a slash', input: '/json', expected: 'mime: no media type' },
    {
      doc: 'space inside',
      input: 'application json',
      expected: 'mime: expected slash after first token',
    },
    { doc: 'missing subtype', input: 'application/', expected: 'mime: expected token after slash' },
    {
      doc: 'second slash',
      input: 'a/b/c',
      expected: 'mime: unexpected content after media subtype',
    },
    {
      doc: 'parameter without value',
      input: 'application/json; charset',
      expected: 'mime: invalid media parameter',
    },
    {
      doc: 'two semicolons',
      input: 'application/json;;',
      expected: 'mime: invalid media parameter',
    },
    {
      doc: 'open quote',
      input: 'application/json; a="x',
      expected: 'mime: invalid media parameter',
    },
    {
      doc: 'conflicting parameters',
      input: 'application/json; a=1; a=2',
      expected: 'mime: duplicate parameter name',
    },
  ])('rejects $doc', ({ input, expected }) => {
    expect(parseMediaType(input)).toEqual({ error: expected })
  })
})
