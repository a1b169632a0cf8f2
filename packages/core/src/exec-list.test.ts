import { describe, expect, it } from 'vitest'

import { parseExecListQuery } from './exec-list.js'

describe('parseExecListQuery', () => {
  it('returns no filter for an empty query', () => {
    expect(parseExecListQuery({})).toEqual({})
  })

  it('parses every filter', () => {
    expect(parseExecListQuery({ container: 'box', running: 'false', since: '1700000000' })).toEqual({
      container: 'box',
      running: false,
      since: new Date(1_700_000_000_000),
    })
  })

  const times: [string, number][] = [
    ['1700000000.5', 1_700_000_000_500],
    ['2023-11-14T22:13:20Z', 1_700_000_000_000],
    ['2023-11-14T23:13:20.25+01:00', 1_700_000_000_250],
  ]
  for (const [text, ms] of times) {
    it(`parses since=${text}`, () => {
      expect(parseExecListQuery({ since: text }).since?.getTime()).toBe(ms)
    })
  }

  const invalid: [string, string][] = [
    ['running', 'yes'],
    ['running', ''],
    ['since', 'yesterday'],
    ['since', '-5'],
    ['since', '2023-11-14'],
    ['since', '2023-13-40T00:00:00Z'],
    ['container', ''],
  ]
  for (const [name, value] of invalid) {
    it(`rejects ${name}=${JSON.stringify(value)}`, () => {
      expect(() => parseExecListQuery({ [name]: value })).toThrow(`invalid filter ${name}=${JSON.stringify(value)}`)
    })
  }
})
