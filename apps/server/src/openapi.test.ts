import { buildOpenApiDocument } from '@dexec/api-types'
import type { ExecService } from '@dexec/core'
import { Validator } from '@seriousme/openapi-schema-validator'
import pino from 'pino'
import { describe, expect, it } from 'vitest'

import { createApp } from './app.js'
import { DEXEC_VERSION } from './headers.js'
import { ServerMetrics } from './metrics.js'

const document = buildOpenApiDocument({ version: DEXEC_VERSION })

/** `METHOD /path/{param}` of every operation in the document. */
function documentedRoutes(): string[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
  )
}

/** `METHOD /path/{param}` of every handler that the Hono app registers, middleware left out. */
function servedRoutes(): string[] {
  // Registering routes never calls the service, so an empty stand-in is enough.
  const app = createApp({ service: {} as ExecService, logger: pino({ level: 'silent' }), metrics: new ServerMetrics() })
  const routes = app.routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
  return [...new Set(routes)]
}

describe('GET /openapi.json', () => {
  const app = createApp({ service: {} as ExecService, logger: pino({ level: 'silent' }) })

  it('serves the generated document', async () => {
    const response = await app.request('/openapi.json')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(document)))
  })

  it('answers 404 under a version prefix', async () => {
    expect((await app.request('/v1.45/openapi.json')).status).toBe(404)
  })

  it('answers 404 for metrics without a registry', async () => {
    expect((await app.request('/metrics')).status).toBe(404)
  })
})

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document as Record<string, unknown>)
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
  })

  it('documents exactly the routes the app serves', () => {
    // Hono serves HEAD through the GET handler, so a documented HEAD needs no route of its own.
    const documented = documentedRoutes().filter((route) => !route.startsWith('HEAD '))
    expect(documented.sort()).toEqual(servedRoutes().sort())
  })

  it('documents HEAD only where GET is served', () => {
    const heads = documentedRoutes().filter((route) => route.startsWith('HEAD '))
    const served = servedRoutes()
    expect(heads.filter((route) => !served.includes(route.replace('HEAD ', 'GET ')))).toEqual([])
  })

  it('names the response schemas as components', () => {
    expect(Object.keys(document.components?.schemas ?? {}).sort()).toEqual([
      'ContainerInspectResponse',
      'ContainerSummary',
      'ErrorResponse',
      'EventMessage',
      'ExecCreateResponse',
      'ExecInspectResponse',
      'SystemVersion',
    ])
  })
})
