// Go's way of quoting values inside error texts, so that dexec's messages match dockerd's byte
// for byte. The rules follow strconv.Quote and strconv.IsPrint of the Go standard library.

const PRINTABLE_OUTSIDE_LATIN1 = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u

const SHORT_ESCAPES = new Map<number, string>([
  [0x07, '\\a'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
  [0x0b, '\\v'],
])

function isGoPrintable(codePoint: number): boolean {
  if (codePoint <= 0xff) {
    // Go treats ASCII space through `~` and Latin-1 `¡` through `ÿ` as printable, except the
    // soft hyphen.
    if (codePoint >= 0x20 && codePoint <= 0x7e) return true
    return codePoint >= 0xa1 && codePoint !== 0xad
  }
  return PRINTABLE_OUTSIDE_LATIN1.test(String.fromCodePoint(codePoint))
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0')
}

function escapeCodePoint(codePoint: number): string {
  const short = SHORT_ESCAPES.get(codePoint)
  if (short !== undefined) return short
  if (codePoint < 0x20 || codePoint === 0x7f) return `\\x${hex(codePoint, 2)}`
  if (codePoint < 0x10000) return `\\u${hex(codePoint, 4)}`
  return `\\U${hex(codePoint, 8)}`
}

/**
 * Quotes `text` the way Go's `%q` and strconv.Quote do. A lone UTF-16 surrogate is shown as
 * U+FFFD, which is what Go prints once such a string has been encoded as UTF-8.
 */
export function quoteGoString(text: string): string {
  let quoted = '"'
  for (const char of text) {
    let codePoint = char.codePointAt(0) ?? 0xfffd
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) codePoint = 0xfffd
    if (codePoint === 0x22 || codePoint === 0x5c) {
      quoted += `\\${char}`
    } else if (isGoPrintable(codePoint)) {
      quoted += String.fromCodePoint(codePoint)
    } else {
      quoted += escapeCodePoint(codePoint)
    }
  }
  return `${quoted}"`
}

/**
 * Quotes one input byte the way Go's JSON scanner does in `invalid character …` errors: the byte
 * is read as the code point of the same value, so 0xC3 is shown as `'Ã'`.
 */
export function quoteGoByte(byte: number): string {
  if (byte === 0x27) return `'\\''`
  if (byte === 0x22) return `'"'`
  const quoted = quoteGoString(String.fromCharCode(byte))
  return `'${quoted.slice(1, -1)}'`
}

const GO_SPACES = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f,
  0x3000,
])

/** Reports whether Go's unicode.IsSpace holds for the character; JavaScript's `\s` differs. */
export function isGoSpace(char: string): boolean {
  const codePoint = char.codePointAt(0) ?? 0
  return GO_SPACES.has(codePoint) || (codePoint >= 0x2000 && codePoint <= 0x200a)
}

/** Removes leading characters for which Go's unicode.IsSpace holds. */
export function trimGoSpaceStart(text: string): string {
  let start = 0
  while (start < text.length && isGoSpace(text[start] ?? '')) start++
  return text.slice(start)
}

/** Removes leading and trailing characters for which Go's unicode.IsSpace holds. */
export function trimGoSpace(text: string): string {
  let end = text.length
  while (end > 0 && isGoSpace(text[end - 1] ?? '')) end--
  return trimGoSpaceStart(text.slice(0, end))
}
