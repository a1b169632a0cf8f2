import { MAX_BODY_BYTES, parseJsonBody } from '@dexec/api-types'
import { DexecError } from '@dexec/core'
import type { Context } from 'hono'

/**
 * Reads and validates a JSON request body with Docker's rules. Bodies over
 * MAX_BODY_BYTES are rejected with 413 before they are read whole.
 */
export async function readBody<T>(c: Context<any>, schema: Parameters<typeof parseJsonBody>[0]): Promise<T> {
  const length = Number(c.req.header('content-length') ?? 0)
  if (length > MAX_BODY_BYTES) throw tooLarge()
  const text = await c.req.text()
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw tooLarge()
  try {
    return parseJsonBody(schema, text, c.req.header('content-type')) as T
  } catch (err) {
    if ((err as { code?: string }).code === 'INVALID_BODY') {
      throw new DexecError('INVALID_PARAMETER', (err as Error).message, { cause: err })
    }
    throw err
  }
}

function tooLarge(): DexecError {
  return new DexecError('PAYLOAD_TOO_LARGE', `request body is larger than ${MAX_BODY_BYTES} bytes`)
}
