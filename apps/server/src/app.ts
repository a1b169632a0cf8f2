import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

import {
  MAX_API_VERSION,
  MIN_API_VERSION,
  checkApiVersion,
  compareApiVersions,
} from '@dexec/api-types'
import { DexecError, toDexecError, type ExecService } from '@dexec/core'
import { Hono } from 'hono'
import type { Logger } from 'pino'

import { auditStartRequests } from './audit-middleware.js'
import type { AuditLog } from './audit.js'
import { engineHeaders } from './headers.js'
import { sendJson } from './json.js'
import type { ServerMetrics } from './metrics.js'
import { registerContainerRoutes } from './routes/containers.js'
import { registerEventRoutes } from './routes/events.js'
import { registerExecRoutes } from './routes/exec.js'
import { registerObservabilityRoutes } from './routes/observability.js'
import { registerSystemRoutes } from './routes/system.js'
import { statusByKind } from './status.js'

/** A connection taken over from the HTTP server for an attached exec start. */
export interface Hijack {
  socket: Duplex
  /** Bytes that followed the request body in the same reads: the start of stdin. */
  head: Buffer
}

/** Values of the Hono environment: Node's request, and the socket when the request asked to upgrade. */
export interface AppBindings {
  incoming: IncomingMessage
  outgoing?: import('node:http').ServerResponse
  hijack?: Hijack
}

/** Variables that middleware sets for the handlers. */
export interface AppVariables {
  apiVersion: string
  routeNotFound: boolean
}

export type AppEnv = { Bindings: AppBindings; Variables: AppVariables }

const VERSION_PREFIX = /^\/v([0-9.]+)(?=\/)/

/** Options of createApp. */
export interface AppOptions {
  service: ExecService
  logger: Logger
  /** Metrics served at GET /metrics. Without them, that route returns 404. */
  metrics?: ServerMetrics
  /** Told about each exec start request, so that its lines name the caller. */
  audit?: AuditLog
}

/**
 * Builds the Hono app of the Engine API. Every route is served both bare and
 * under a `/v<version>` prefix; the version check runs before anything else.
 */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ getPath: (request) => stripVersion(pathOf(request.url)) })

  app.use(async function versionCheck(c, next) {
    const match = VERSION_PREFIX.exec(pathOf(c.req.url))
    const requested = match?.[1]
    if (requested !== undefined) {
      const problem = checkApiVersion(requested)
      if (problem) return versionError(c, requested, problem)
    }
    c.set('apiVersion', requested ?? MAX_API_VERSION)
    await next()
    // Docker's router fallback (page not found) carries none of these headers.
    if (c.res.headers.has('x-hono-already-sent') || c.get('routeNotFound')) return
    for (const [name, value] of Object.entries(engineHeaders())) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value)
    }
  })

  if (options.audit) app.use('/exec/:id/start', auditStartRequests(options.audit))
  registerSystemRoutes(app, options.service)
  registerContainerRoutes(app, options.service)
  registerExecRoutes(app, options.service, options.logger)
  registerEventRoutes(app, options.service, options.logger)
  registerObservabilityRoutes(app, options.metrics)

  app.notFound((c) => {
    c.set('routeNotFound', true)
    return sendJson(c, { message: 'page not found' }, 404)
  })
  app.onError(function errorHandler(err, c) {
    const error = toDexecError(err)
    // A classified error is a reply for the client. An unclassified one (kind
    // SYSTEM from an unexpected throw) is a fault, so its stack is logged.
    if (error.kind === 'SYSTEM' && !(err instanceof DexecError)) {
      options.logger.error({ err, path: c.req.path }, 'request failed')
    } else {
      options.logger.debug({ path: c.req.path, status: statusByKind[error.kind], message: error.message }, 'request failed')
    }
    // The versionCheck middleware adds the engine headers to this reply too.
    return sendJson(c, { message: error.message }, statusByKind[error.kind])
  })
  return app
}

function versionError(c: import('hono').Context<AppEnv>, requested: string, message: string) {
  const headers = engineHeaders()
  delete (headers as Record<string, string | undefined>)['Docker-Experimental']
  // Docker replies in plain text when the requested version predates JSON errors (1.24).
  if (compareApiVersions(requested, MIN_API_VERSION) < 0) {
    const plain = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }
    return c.body(`${message}\n`, 400, { ...headers, ...plain })
  }
  return sendJson(c, { message }, 400, headers)
}

function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3)
  const query = url.indexOf('?', start)
  return query === -1 ? url.slice(start) : url.slice(start, query)
}

function stripVersion(path: string): string {
  return path.replace(VERSION_PREFIX, '')
}
