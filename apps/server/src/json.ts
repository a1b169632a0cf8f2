import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * Sends a JSON body the way Docker's Go encoder writes it: with a trailing
 * newline and a Content-Length, never chunked.
 */
export function sendJson(
  c: Context<any>,
  body: unknown,
  status: ContentfulStatusCode = 200,
  headers: Record<string, string> = {},
): Response {
  return c.body(`${JSON.stringify(body)}\n`, status, { ...headers, 'Content-Type': 'application/json' })
}
