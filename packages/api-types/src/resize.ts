import { InvalidParameterError } from './errors.js'
import { quoteGoString } from './go-text.js'

/** Terminal size in character cells. */
export interface TerminalSize {
  readonly height: number
  readonly width: number
}

const UINT32_MAX = 0xffff_ffff

/** Parses like dockerd's Uint32Value: an unsigned decimal, where `-N` is out of range. */
function parseUint32(text: string): number | 'invalid syntax' | 'value out of range' {
  const negative = text.startsWith('-')
  const digits = negative ? text.slice(1) : text
  if (digits === '') return 'invalid syntax'
  let value = 0
  // Go reports whichever comes first: a character that is not a digit, or the overflow.
  for (const char of digits) {
    if (char < '0' || char > '9') return 'invalid syntax'
    value = value * 10 + Number(char)
    if (value > UINT32_MAX) return 'value out of range'
  }
  return negative ? 'value out of range' : value
}

function parseDimension(parameter: 'h' | 'w', value: string): number {
  const parsed = parseUint32(value)
  if (typeof parsed === 'number') return parsed
  const name = parameter === 'h' ? 'height' : 'width'
  const message = `invalid resize ${name} ${quoteGoString(value)}: ${parsed}`
  throw new InvalidParameterError(parameter, value, message)
}

/**
 * Parses the `h` and `w` query parameters of `POST /exec/{id}/resize` as current dockerd does.
 * A missing or empty parameter is invalid, like any value that is not an unsigned 32-bit number.
 *
 * @throws InvalidParameterError such as `invalid resize height "abc": invalid syntax`
 */
export function parseResizeQuery(query: { h?: string; w?: string }): TerminalSize {
  return { height: parseDimension('h', query.h ?? ''), width: parseDimension('w', query.w ?? '') }
}
