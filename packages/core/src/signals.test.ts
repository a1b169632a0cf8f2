import { describe, expect, it } from 'vitest'

import { parseSignal } from './signals.js'

describe('parseSignal', () => {
  const valid: [string | undefined, number][] = [
    [undefined, 9],
    ['', 9],
    ['TERM', 15],
    ['SIGTERM', 15],
    ['sigterm', 15],
    ['15', 15],
    ['KILL', 9],
    ['HUP', 1],
    ['USR1', 10],
    ['64', 64],
  ]
  for (const [text, number] of valid) {
    it(`parses ${JSON.stringify(text)}`, () => {
      expect(parseSignal(text)).toBe(number)
    })
  }

  for (const text of ['NOPE', 'SIG', '0', '65', '-1', '1.5', ' TERM', 'constructor']) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => parseSignal(text)).toThrow(`invalid signal: ${text}:`)
    })
  }
})
