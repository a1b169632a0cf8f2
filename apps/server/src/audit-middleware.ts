import type { Socket } from 'node:net'

import { ExecStartBody, MAX_BODY_BYTES, parseJsonBody } from '@dexec/api-types'
import type { MiddlewareHandler } from 'hono'

import type { AppEnv } from './app.js'
import type { AuditLog } from './audit.js'

/**
 * Builds the middleware of `POST /exec/{id}/start` that passes the caller of a start, and
 * whether the start is detached, to the audit log before the route runs it. The body is read
 * as text, which Hono caches, so the route reads the same bytes afterwards.
 */
export function auditStartRequests(audit: AuditLog): MiddlewareHandler<AppEnv> {
  return async function auditStartRequest(c, next) {
    const execId = c.req.param('id')
    if (execId === undefined) return next()
    const socket = c.env.incoming.socket as Socket
    const forget = audit.noteStartRequest(execId, socket, await isDetach(c))
    try {
      await next()
    } finally {
      // An attached or detached start has announced itself by now; a rejected one never will.
      forget()
    }
  }
}

async function isDetach(c: Parameters<MiddlewareHandler<AppEnv>>[0]): Promise<boolean> {
  // A body that is too large or invalid is the route's to reject.
  if (Number(c.req.header('content-length') ?? 0) > MAX_BODY_BYTES) return false
  try {
    const body = parseJsonBody(ExecStartBody, await c.req.text(), c.req.header('content-type'))
    return (body as { Detach?: boolean }).Detach === true
  } catch {
    return false
  }
}
