import type { z } from 'zod'

import { parseMediaType } from './content-type.js'
import { InvalidBodyError } from './errors.js'
import { decodeGoStruct } from './go-decode.js'
import { isJsonSpace, readJsonValue } from './go-json.js'
import { goStructOf, type BodySchema } from './schemas.js'

/** Maximum request body size in bytes. The server enforces it; parseJsonBody does not. */
export const MAX_BODY_BYTES = 1024 * 1024

/** Rejects a Content-Type that dockerd rejects; an empty body may come without one. */
function checkContentType(contentType: string, bodyIsEmpty: boolean): void {
  if (contentType === '' && bodyIsEmpty) return
  const parsed = parseMediaType(contentType)
  if ('error' in parsed) {
    throw new InvalidBodyError(`malformed Content-Type header (${contentType}): ${parsed.error}`)
  }
  if (parsed.mediaType !== 'application/json') {
    throw new InvalidBodyError(
      `unsupported Content-Type header (${contentType}): must be 'application/json'`,
    )
  }
}

/** Reports whether anything but whitespace, `]` or `}` follows, as Go's Decoder.More does. */
function hasMoreContent(bytes: Buffer, offset: number): boolean {
  let index = offset
  while (isJsonSpace(bytes[index])) index++
  const next = bytes[index]
  return next !== undefined && next !== 0x5d && next !== 0x7d
}

function toBuffer(body: string | Uint8Array): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}

/**
 * Decodes a request body by dockerd's rules (current moby): an empty body means all defaults,
 * otherwise the Content-Type must be `application/json` and the JSON must decode into the Go
 * struct behind `schema`. `contentType` is the header value, `undefined` when absent.
 *
 * @throws InvalidBodyError with dockerd's message text for every rejected body
 * @throws TypeError when `schema` is not one of this package's body schemas
 */
export function parseJsonBody<Shape extends z.ZodRawShape>(
  schema: BodySchema<Shape>,
  body: string | Uint8Array,
  contentType: string | undefined,
): z.output<BodySchema<Shape>> {
  const struct = goStructOf(schema)
  if (struct === undefined) {
    throw new TypeError('parseJsonBody takes a body schema of @dexec/api-types')
  }
  const bytes = toBuffer(body)
  checkContentType(contentType ?? '', bytes.length === 0)
  if (bytes.length === 0) return schema.parse({})

  const read = readJsonValue(bytes)
  if (!read.ok) {
    const reason = read.eof ? 'got EOF while reading request body' : read.message
    throw new InvalidBodyError(`invalid JSON: ${reason}`)
  }
  const decoded = decodeGoStruct(read.value, struct)
  if (!decoded.ok) throw new InvalidBodyError(`invalid JSON: ${decoded.message}`)
  if (hasMoreContent(bytes, read.end)) throw new InvalidBodyError('unexpected content after JSON')

  // The decoder only produces values the schema accepts, so this guards against a mismatch
  // between the two rather than against input.
  const result = schema.safeParse(decoded.fields)
  if (!result.success) {
    const reason = result.error.issues[0]?.message ?? 'invalid value'
    throw new InvalidBodyError(`invalid JSON: ${reason}`)
  }
  return result.data
}
