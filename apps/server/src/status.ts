import type { ErrorKind } from '@dexec/core'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** HTTP status of each error kind, as Docker's API server maps its errdefs classes. */
export const statusByKind: Record<ErrorKind, ContentfulStatusCode> = {
  NOT_FOUND: 404,
  INVALID_PARAMETER: 400,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  NOT_IMPLEMENTED: 501,
  PAYLOAD_TOO_LARGE: 413,
  SYSTEM: 500,
}
