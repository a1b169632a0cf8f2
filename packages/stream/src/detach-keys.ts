// Detach key sequences in Docker's notation, as parsed by moby/term's ToBytes: comma-separated
// elements, each one ASCII character, `ctrl-@` to `ctrl-_`, or `DEL`.

import { InvalidDetachKeysError } from './errors.js'

/** ctrl-p then ctrl-q, the sequence dockerd uses when an exec was created without DetachKeys. */
export const DEFAULT_DETACH_KEYS: Buffer = Buffer.from([16, 17])

// `ctrl-@` is byte 0, `ctrl-a` byte 1, and so on up to `ctrl-_`, byte 31. Letters are lower case
// only: `ctrl-A` is not a key.
const CONTROL_KEYS = [
  'ctrl-@',
  ...'abcdefghijklmnopqrstuvwxyz'.split('').map((letter) => `ctrl-${letter}`),
  'ctrl-[',
  'ctrl-\\',
  'ctrl-]',
  'ctrl-^',
  'ctrl-_',
]

const DEL = 127
const COMMA = 0x2c

function keyCode(element: string): number | null {
  if (element.length === 1 && element.charCodeAt(0) < 0x80) return element.charCodeAt(0)
  const control = CONTROL_KEYS.indexOf(element)
  if (control !== -1) return control
  return element === 'DEL' ? DEL : null
}

/**
 * Parses a sequence such as `ctrl-p,ctrl-q` or `a,DEL` into its bytes. A comma cannot be a key
 * because it separates elements, so empty elements (`a,,b`, a trailing comma, or `''` itself)
 * are invalid, like multi-byte characters and `ctrl-A`.
 *
 * @throws InvalidDetachKeysError with the message `Invalid escape keys (<keys>) provided`
 */
export function parseDetachKeys(keys: string): Buffer {
  const codes: number[] = []
  for (const element of keys.split(',')) {
    const code = keyCode(element)
    if (code === null) throw new InvalidDetachKeysError(keys, element)
    codes.push(code)
  }
  return Buffer.from(codes)
}

/**
 * Formats key bytes in the notation parseDetachKeys reads, for display. A comma or a byte of
 * 0x80 and above has no notation and is shown as `0x2c` and so on, which does not parse back.
 */
export function formatDetachKeys(keys: Uint8Array): string {
  const elements = [...keys].map((byte) => {
    const control = CONTROL_KEYS[byte]
    if (control !== undefined) return control
    if (byte === DEL) return 'DEL'
    if (byte === COMMA || byte >= 0x80) return `0x${byte.toString(16).padStart(2, '0')}`
    return String.fromCharCode(byte)
  })
  return elements.join(',')
}
