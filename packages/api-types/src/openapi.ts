import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi'
import { z } from 'zod'

import { API_ROUTES, type ApiRoute, type RouteResponse } from './routes.js'
import { MAX_API_VERSION, MIN_API_VERSION } from './version.js'

/** The OpenAPI document's `info` fields that the caller sets. */
export interface OpenApiInfo {
  /** Version of the server; the API version range is added to the description. */
  version: string
}

/** Generates the OpenAPI 3.1 document of the given routes from their zod schemas. */
export function buildOpenApiDocument(
  info: OpenApiInfo,
  routes: readonly ApiRoute[] = API_ROUTES,
): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry()
  for (const route of routes) registry.registerPath(toRouteConfig(route))
  const generator = new OpenApiGeneratorV31(registry.definitions)
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'dexec Engine API',
      version: info.version,
      description:
        `The exec part of the Docker Engine API, served on containerd. Routes marked versioned ` +
        `also answer under a /v${MIN_API_VERSION} to /v${MAX_API_VERSION} prefix.`,
    },
  })
}

function toRouteConfig(route: ApiRoute): RouteConfig {
  const request: RouteConfig['request'] = {}
  if (route.pathParams) request.params = route.pathParams
  if (route.query) request.query = route.query
  if (route.body) request.body = { content: { 'application/json': { schema: route.body } } }
  const responses: RouteConfig['responses'] = {}
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = toResponse(response)
  }
  return {
    method: route.method,
    path: route.path,
    operationId: route.operationId,
    summary: route.summary,
    'x-versioned': route.versioned,
    request,
    responses,
  } as RouteConfig
}

function toResponse(response: RouteResponse) {
  if (response.contentType === undefined) return { description: response.description }
  const { contentType } = response
  const types = typeof contentType === 'string' ? [contentType] : contentType
  const schema = response.schema ?? z.unknown()
  return {
    description: response.description,
    content: Object.fromEntries(types.map((type) => [type, { schema }])),
  }
}
