// Reads the first JSON value of a request body with the acceptance rules and error texts of
// Go's encoding/json Decoder, as of Go 1.26, which moby's Dockerfile builds dockerd with.
// JSON.parse cannot be used: its messages differ, it drops duplicate keys, and it decodes
// invalid strings differently.

import { quoteGoByte } from './go-text.js'

/** A JSON value; objects keep every key in input order, duplicates included. */
export type JsonValue =
  | { readonly kind: 'object'; readonly entries: Array<[string, JsonValue]> }
  | { readonly kind: 'array'; readonly items: JsonValue[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' }

/**
 * The value and the offset just past it, or Go's error text. `eof` marks a body of only
 * whitespace, which Go reports as io.EOF rather than as a syntax error.
 */
export type ReadResult =
  | { readonly ok: true; readonly value: JsonValue; readonly end: number }
  | { readonly ok: false; readonly eof: boolean; readonly message: string }

type Failure = Extract<ReadResult, { ok: false }>
type Container = Extract<JsonValue, { kind: 'object' | 'array' }>

// Go's scanner rejects the 10,001st nested object or array.
const MAX_DEPTH = 10_000

const QUOTE = 0x22
const BACKSLASH = 0x5c
const LITERALS = new Map<number, readonly [string, JsonValue]>([
  [0x74, ['true', { kind: 'bool', value: true }]],
  [0x66, ['false', { kind: 'bool', value: false }]],
  [0x6e, ['null', { kind: 'null' }]],
])

const UNEXPECTED_EOF: Failure = { ok: false, eof: false, message: 'unexpected EOF' }

function syntaxError(byte: number, context: string): Failure {
  return { ok: false, eof: false, message: `invalid character ${quoteGoByte(byte)} ${context}` }
}

function isFailure(value: JsonValue | Failure): value is Failure {
  return 'ok' in value
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39
}

function isHexDigit(byte: number | undefined): boolean {
  if (byte === undefined) return false
  return isDigit(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
}

/** Reports whether the byte is JSON whitespace; Go accepts exactly these four. */
export function isJsonSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
}

/** Decodes a string body the way Go does, given the offsets of its opening and closing quotes. */
function decodeString(bytes: Buffer, start: number, end: number): string {
  const body = bytes.subarray(start + 1, end)
  if (body.every((byte) => byte < 0x80 && byte !== BACKSLASH)) return body.toString('latin1')
  return decodeEscapedString(body)
}

/** Reads the code point at `offset`: [codePoint, length], or U+FFFD and 1 for invalid UTF-8. */
function decodeUtf8(bytes: Buffer, offset: number): [number, number] {
  const lead = bytes[offset] ?? 0
  const [length, min, max] =
    lead >= 0xc2 && lead <= 0xdf ? [2, 0x80, 0xbf]
    : lead === 0xe0 ? [3, 0xa0, 0xbf]
    : lead === 0xed ? [3, 0x80, 0x9f]
    : lead >= 0xe1 && lead <= 0xef ? [3, 0x80, 0xbf]
    : lead === 0xf0 ? [4, 0x90, 0xbf]
    : lead >= 0xf1 && lead <= 0xf3 ? [4, 0x80, 0xbf]
    : lead === 0xf4 ? [4, 0x80, 0x8f]
    : [0, 0, 0]
  if (length === 0) return [0xfffd, 1]
  let codePoint = lead & (0xff >> (length + 1))
  for (let i = 1; i < length; i++) {
    const byte = bytes[offset + i]
    const [low, high] = i === 1 ? [min, max] : [0x80, 0xbf]
    if (byte === undefined || byte < low || byte > high) return [0xfffd, 1]
    codePoint = (codePoint << 6) | (byte & 0x3f)
  }
  return [codePoint, length]
}

function readHex4(body: Buffer, offset: number): number {
  return Number.parseInt(body.toString('latin1', offset, offset + 4), 16)
}

/**
 * Decodes `\uXXXX` at `offset`: a surrogate pair takes a second escape, and a lone surrogate
 * gives U+FFFD. Returns [codePoint, length].
 */
function decodeUnicodeEscape(body: Buffer, offset: number): [number, number] {
  const unit = readHex4(body, offset + 2)
  if (unit < 0xd800 || unit >= 0xe000) return [unit, 6]
  const hasLow = body[offset + 6] === BACKSLASH && body[offset + 7] === 0x75
  const low = hasLow ? readHex4(body, offset + 8) : -1
  if (unit < 0xdc00 && low >= 0xdc00 && low < 0xe000) {
    return [0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), 12]
  }
  return [0xfffd, 6]
}

const SIMPLE_ESCAPES = new Map<number, number>([
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x2f, 0x2f],
])

function decodeEscapedString(body: Buffer): string {
  const codePoints: number[] = []
  let offset = 0
  while (offset < body.length) {
    const byte = body[offset] ?? 0
    let decoded: [number, number]
    if (byte === BACKSLASH && body[offset + 1] === 0x75) {
      decoded = decodeUnicodeEscape(body, offset)
    } else if (byte === BACKSLASH) {
      decoded = [SIMPLE_ESCAPES.get(body[offset + 1] ?? 0) ?? 0xfffd, 2]
    } else if (byte < 0x80) {
      decoded = [byte, 1]
    } else {
      decoded = decodeUtf8(body, offset)
    }
    codePoints.push(decoded[0])
    offset += decoded[1]
  }
  let text = ''
  for (let i = 0; i < codePoints.length; i += 4096) {
    text += String.fromCodePoint(...codePoints.slice(i, i + 4096))
  }
  return text
}

/**
 * Next token the reader expects: any value, a value or `]` right after `[`, a key or `}` right
 * after `{`, a key after a comma, or a comma or closing bracket after a value.
 */
type ReaderState = 'value' | 'firstValue' | 'firstKey' | 'key' | 'afterValue'

/** One pass over the body; `pos` only moves forward. */
class JsonReader {
  private pos = 0
  private state: ReaderState = 'value'
  private readonly stack: Container[] = []
  private readonly keys: string[] = []

  constructor(private readonly bytes: Buffer) {}

  read(): ReadResult {
    this.skipSpace()
    if (this.pos >= this.bytes.length) return { ok: false, eof: true, message: 'EOF' }
    for (;;) {
      this.skipSpace()
      const byte = this.bytes[this.pos]
      // Only a number can end at the end of input, and readNumber handles that itself.
      if (byte === undefined) return UNEXPECTED_EOF
      const step = this.step(byte)
      if (step === 'pending') continue
      if (isFailure(step)) return step
      const parent = this.stack.at(-1)
      if (parent === undefined) return { ok: true, value: step, end: this.pos }
      if (parent.kind === 'array') parent.items.push(step)
      else parent.entries.push([this.keys.pop() ?? '', step])
      this.state = 'afterValue'
    }
  }

  /** Consumes the token that starts with `byte`; returns a finished value or 'pending'. */
  private step(byte: number): JsonValue | Failure | 'pending' {
    switch (this.state) {
      case 'firstValue':
        return byte === 0x5d ? this.close() : this.beginValue(byte)
      case 'value':
        return this.beginValue(byte)
      case 'firstKey':
        return byte === 0x7d ? this.close() : this.readKey(byte)
      case 'key':
        return this.readKey(byte)
      case 'afterValue':
        return this.afterValue(byte)
    }
  }

  private skipSpace(): void {
    while (isJsonSpace(this.bytes[this.pos])) this.pos++
  }

  private beginValue(byte: number): JsonValue | Failure | 'pending' {
    if (byte === 0x7b || byte === 0x5b) return this.open(byte)
    if (byte === QUOTE) return this.readString()
    if (byte === 0x2d || isDigit(byte)) return this.readNumber()
    const literal = LITERALS.get(byte)
    if (literal !== undefined) return this.readLiteral(...literal)
    return syntaxError(byte, 'looking for beginning of value')
  }

  private open(byte: number): Failure | 'pending' {
    if (this.stack.length >= MAX_DEPTH) return syntaxError(byte, 'exceeded max depth')
    const isObject = byte === 0x7b
    this.stack.push(isObject ? { kind: 'object', entries: [] } : { kind: 'array', items: [] })
    this.state = isObject ? 'firstKey' : 'firstValue'
    this.pos++
    return 'pending'
  }

  private close(): JsonValue {
    this.pos++
    return this.stack.pop() as Container
  }

  /** Handles the byte after a value inside a container: a comma or the closing bracket. */
  private afterValue(byte: number): JsonValue | Failure | 'pending' {
    const parent = this.stack.at(-1) as Container
    const isArray = parent.kind === 'array'
    if (byte === (isArray ? 0x5d : 0x7d)) return this.close()
    if (byte !== 0x2c) {
      return syntaxError(byte, isArray ? 'after array element' : 'after object key:value pair')
    }
    this.pos++
    this.state = isArray ? 'value' : 'key'
    return 'pending'
  }

  /** Reads `"key"` and the colon after it; the value follows in the next step. */
  private readKey(byte: number): Failure | 'pending' {
    if (byte !== QUOTE) return syntaxError(byte, 'looking for beginning of object key string')
    const key = this.readString()
    if (isFailure(key)) return key
    this.skipSpace()
    const colon = this.bytes[this.pos]
    if (colon === undefined) return UNEXPECTED_EOF
    if (colon !== 0x3a) return syntaxError(colon, 'after object key')
    this.pos++
    this.keys.push(key.kind === 'string' ? key.value : '')
    this.state = 'value'
    return 'pending'
  }

  private readString(): JsonValue | Failure {
    const start = this.pos
    this.pos++
    for (;;) {
      const byte = this.bytes[this.pos]
      if (byte === undefined) return UNEXPECTED_EOF
      if (byte === QUOTE) break
      if (byte < 0x20) return syntaxError(byte, 'in string literal')
      if (byte === BACKSLASH) {
        const failure = this.skipEscape()
        if (failure !== null) return failure
      } else {
        this.pos++
      }
    }
    this.pos++
    return { kind: 'string', value: decodeString(this.bytes, start, this.pos - 1) }
  }

  private skipEscape(): Failure | null {
    const code = this.bytes[this.pos + 1]
    if (code === undefined) return UNEXPECTED_EOF
    if (code !== 0x75) {
      if (!SIMPLE_ESCAPES.has(code)) return syntaxError(code, 'in string escape code')
      this.pos += 2
      return null
    }
    this.pos += 2
    for (let i = 0; i < 4; i++, this.pos++) {
      const digit = this.bytes[this.pos]
      if (digit === undefined) return UNEXPECTED_EOF
      if (!isHexDigit(digit)) return syntaxError(digit, 'in \\u hexadecimal character escape')
    }
    return null
  }

  private readNumber(): JsonValue | Failure {
    const start = this.pos
    if (this.bytes[this.pos] === 0x2d) {
      this.pos++
      const failure = this.expectDigit('in numeric literal')
      if (failure !== null) return failure
    }
    if (this.bytes[this.pos] === 0x30) this.pos++
    else this.skipDigits()
    if (this.bytes[this.pos] === 0x2e) {
      this.pos++
      const failure = this.expectDigit('after decimal point in numeric literal')
      if (failure !== null) return failure
      this.skipDigits()
    }
    const exponent = this.bytes[this.pos]
    if (exponent === 0x65 || exponent === 0x45) {
      this.pos++
      const sign = this.bytes[this.pos]
      if (sign === 0x2b || sign === 0x2d) this.pos++
      const failure = this.expectDigit('in exponent of numeric literal')
      if (failure !== null) return failure
      this.skipDigits()
    }
    return { kind: 'number', text: this.bytes.toString('latin1', start, this.pos) }
  }

  private expectDigit(context: string): Failure | null {
    const byte = this.bytes[this.pos]
    if (byte === undefined) return UNEXPECTED_EOF
    return isDigit(byte) ? null : syntaxError(byte, context)
  }

  private skipDigits(): void {
    while (isDigit(this.bytes[this.pos])) this.pos++
  }

  private readLiteral(word: string, value: JsonValue): JsonValue | Failure {
    for (let i = 1; i < word.length; i++) {
      const byte = this.bytes[this.pos + i]
      if (byte === undefined) return UNEXPECTED_EOF
      if (byte !== word.charCodeAt(i)) {
        return syntaxError(byte, `in literal ${word} (expecting '${word[i]}')`)
      }
    }
    this.pos += word.length
    return value
  }
}

/**
 * Reads the first JSON value of `bytes` like Go's json.Decoder.Decode. Bytes after the value
 * are not looked at, and `end` is the offset where they start.
 */
export function readJsonValue(bytes: Buffer): ReadResult {
  return new JsonReader(bytes).read()
}
