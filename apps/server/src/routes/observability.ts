import { buildOpenApiDocument } from '@dexec/api-types'
import type { Hono } from 'hono'

import type { AppEnv } from '../app.js'
import { DEXEC_VERSION } from '../headers.js'
import { sendJson } from '../json.js'
import type { ServerMetrics } from '../metrics.js'

const VERSION_PREFIX = /^\/v[0-9.]+\//

/**
 * Registers GET /metrics (when the server keeps metrics) and GET /openapi.json. Docker has
 * neither, so they are served only without a `/v1.NN` prefix.
 */
export function registerObservabilityRoutes(
  app: Hono<AppEnv>,
  metrics: ServerMetrics | undefined,
): void {
  let document: string | undefined

  app.get('/openapi.json', (c) => {
    if (VERSION_PREFIX.test(new URL(c.req.url).pathname)) return c.notFound()
    document ??= JSON.stringify(buildOpenApiDocument({ version: DEXEC_VERSION }))
    return c.body(`${document}\n`, 200, { 'Content-Type': 'application/json' })
  })

  app.get('/metrics', async (c) => {
    if (VERSION_PREFIX.test(new URL(c.req.url).pathname)) return c.notFound()
    if (!metrics) return sendJson(c, { message: 'this server keeps no metrics' }, 404)
    return c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType })
  })
}
