// Content-Type parsing with the results and error texts of Go's mime.ParseMediaType, which
// dockerd uses to accept or reject JSON request bodies.

import { trimGoSpace, trimGoSpaceStart } from './go-text.js'

/** Media type in lower case, or the Go error text when the header does not parse. */
export type MediaTypeResult = { readonly mediaType: string } | { readonly error: string }

const TSPECIALS = '()<>@,;:\\"/[]?='

function isTokenChar(char: string): boolean {
  const code = char.charCodeAt(0)
  return code > 0x20 && code < 0x7f && !TSPECIALS.includes(char)
}

function consumeToken(text: string): [token: string, rest: string] {
  let end = 0
  while (end < text.length && isTokenChar(text[end] ?? '')) end++
  return [text.slice(0, end), text.slice(end)]
}

function consumeQuoted(text: string): [value: string, rest: string] {
  let value = ''
  for (let i = 1; i < text.length; i++) {
    const char = text[i] ?? ''
    if (char === '"') return [value, text.slice(i + 1)]
    const next = text[i + 1]
    // Go keeps a backslash literally unless it escapes a tspecial, because Internet Explorer
    // sends Windows paths with unescaped backslashes.
    if (char === '\\' && next !== undefined && TSPECIALS.includes(next)) {
      value += next
      i++
    } else if (char === '\r' || char === '\n') {
      return ['', text]
    } else {
      value += char
    }
  }
  return ['', text]
}

function consumeValue(text: string): [value: string, rest: string] {
  if (text === '') return ['', '']
  if (text[0] !== '"') return consumeToken(text)
  return consumeQuoted(text)
}

/** Reads `; name=value` from the start of `text`; the name is empty when none is there. */
function consumeParameter(text: string): [name: string, value: string, rest: string] {
  const none: [string, string, string] = ['', '', text]
  const start = trimGoSpaceStart(text)
  if (!start.startsWith(';')) return none
  const [name, afterName] = consumeToken(trimGoSpaceStart(start.slice(1)))
  if (name === '') return none
  const equals = trimGoSpaceStart(afterName)
  if (!equals.startsWith('=')) return none
  const valueText = trimGoSpaceStart(equals.slice(1))
  const [value, rest] = consumeValue(valueText)
  // An empty value is fine only when it was written as `""`.
  if (value === '' && rest === valueText) return none
  return [name.toLowerCase(), value, rest]
}

function checkMediaType(mediaType: string): string | null {
  const [type, rest] = consumeToken(mediaType)
  if (type === '') return 'mime: no media type'
  if (rest === '') return null
  if (!rest.startsWith('/')) return 'mime: expected slash after first token'
  const [subtype, after] = consumeToken(rest.slice(1))
  if (subtype === '') return 'mime: expected token after slash'
  if (after !== '') return 'mime: unexpected content after media subtype'
  return null
}

/**
 * Lower-cases like Go's strings.ToLower as far as media types can tell: besides ASCII, only
 * U+0130 and U+212A (Kelvin sign) have a lower-case form inside ASCII.
 */
function lowerLikeGo(text: string): string {
  return text.replace(/[A-Z\u0130\u212a]/g, (char) => {
    if (char === '\u0130') return 'i'
    if (char === '\u212a') return 'k'
    return char.toLowerCase()
  })
}

function checkParameters(text: string): string | null {
  const seen = new Map<string, string>()
  let rest = text
  while (rest.length > 0) {
    rest = trimGoSpaceStart(rest)
    if (rest === '') break
    const [name, value, after] = consumeParameter(rest)
    if (name === '') {
      // A trailing semicolon is tolerated, anything else is not.
      if (trimGoSpace(after) === ';') break
      return 'mime: invalid media parameter'
    }
    const earlier = seen.get(name)
    if (earlier !== undefined && earlier !== value) return 'mime: duplicate parameter name'
    seen.set(name, value)
    rest = after
  }
  return null
}

/** Parses a Content-Type value like Go's mime.ParseMediaType, keeping only the media type. */
export function parseMediaType(value: string): MediaTypeResult {
  const semicolon = value.indexOf(';')
  const base = semicolon === -1 ? value : value.slice(0, semicolon)
  const mediaType = trimGoSpace(lowerLikeGo(base))
  const error = checkMediaType(mediaType) ?? checkParameters(value.slice(base.length))
  if (error !== null) return { error }
  return { mediaType }
}
