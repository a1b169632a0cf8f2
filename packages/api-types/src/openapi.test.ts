import { describe, expect, it } from 'vitest'

import { buildOpenApiDocument } from './openapi.js'
import { API_ROUTES } from './routes.js'

const document = buildOpenApiDocument({ version: '9.9.9' })

type Operation = {
  operationId?: string
  parameters?: { name: string; in: string }[]
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> }
  responses: Record<string, unknown>
}

function operation(method: string, path: string): Operation {
  return (document.paths?.[path] as Record<string, Operation>)[method]!
}

describe('buildOpenApiDocument', () => {
  it('declares OpenAPI 3.1 and the given version', () => {
    expect(document.openapi).toBe('3.1.0')
    expect(document.info.version).toBe('9.9.9')
  })

  it('has one operation per route entry', () => {
    for (const route of API_ROUTES) {
      expect(operation(route.method, route.path).operationId).toBe(route.operationId)
    }
  })

  it('gives every operation a distinct id', () => {
    const ids = API_ROUTES.map((route) => route.operationId)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('lists each status code of a route', () => {
    for (const route of API_ROUTES) {
      const statuses = Object.keys(operation(route.method, route.path).responses).sort()
      expect(statuses).toEqual(Object.keys(route.responses).sort())
    }
  })

  it('takes the exec create body from its zod schema', () => {
    const body = operation('post', '/containers/{id}/exec').requestBody!
    const properties = Object.keys(body.content['application/json']!.schema.properties ?? {})
    expect(properties).toContain('Cmd')
    expect(properties).toContain('ConsoleSize')
  })

  it('documents the path parameter of the exec routes', () => {
    const parameters = operation('get', '/exec/{id}/json').parameters ?? []
    expect(parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id'])
  })
})
