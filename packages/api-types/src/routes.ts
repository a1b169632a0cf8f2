import { z } from 'zod'

import { MULTIPLEXED_STREAM_MEDIA_TYPE, RAW_STREAM_MEDIA_TYPE } from './media-types.js'
import {
  ContainerInspectResponseSchema,
  ContainerSummarySchema,
  ErrorResponseSchema,
  EventMessageSchema,
  ExecCreateResponseSchema,
  ExecInspectResponseSchema,
  SystemVersionSchema,
} from './response-schemas.js'
import { ExecCreateBody, ExecStartBody } from './schemas.js'

/** One documented reply of a route. */
export interface RouteResponse {
  description: string
  /** Media types of the body; none for an empty reply. */
  contentType?: string | readonly string[]
  schema?: z.ZodType
}

/** One route that the dexec server serves, as data for the OpenAPI document. */
export interface ApiRoute {
  method: 'get' | 'head' | 'post'
  /** OpenAPI path template, with `{name}` parameters. */
  path: string
  operationId: string
  summary: string
  /** Whether the route is also served under a `/v1.NN` prefix. */
  versioned: boolean
  pathParams?: z.ZodObject
  query?: z.ZodObject
  body?: z.ZodType
  responses: Record<number, RouteResponse>
}

const JSON_TYPE = 'application/json'
const TEXT_TYPE = 'text/plain; charset=utf-8'

const idParam = (description: string) => z.object({ id: z.string().meta({ description }) })
const execId = idParam('Exec id: 64 hex digits.')
const containerRef = idParam('Container id, unique id prefix, or name.')

const error = (description: string): RouteResponse => ({
  description,
  contentType: JSON_TYPE,
  schema: ErrorResponseSchema,
})
const json = (description: string, schema: z.ZodType): RouteResponse => ({
  description,
  contentType: JSON_TYPE,
  schema,
})

const UNIX_SECONDS = 'Unix time in seconds, with an optional fraction.'
const SERVER_ERROR = error('containerd failed or dexec hit an unexpected error.')
const UNAVAILABLE = error('containerd is not reachable, or dexec is shutting down.')
const NO_SUCH_EXEC = error('No such exec instance.')

/**
 * Every route of the dexec server. The server's tests compare this table with the routes its
 * Hono app registers, so a route missing here fails them.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/_ping',
    operationId: 'SystemPing',
    summary: 'Check that the server answers.',
    versioned: true,
    responses: {
      200: { description: 'The text `OK`.', contentType: TEXT_TYPE, schema: z.literal('OK') },
    },
  },
  {
    method: 'head',
    path: '/_ping',
    operationId: 'SystemPingHead',
    summary: 'Check that the server answers, without a body.',
    versioned: true,
    responses: { 200: { description: 'An empty reply.' } },
  },
  {
    method: 'get',
    path: '/version',
    operationId: 'SystemVersion',
    summary: 'Versions of dexec, its API and containerd.',
    versioned: true,
    responses: {
      200: json('The versions.', SystemVersionSchema),
      500: SERVER_ERROR,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'get',
    path: '/containers/json',
    operationId: 'ContainerList',
    summary: 'List the running and paused containers of the namespace, or all with `all`.',
    versioned: true,
    query: z.object({ all: z.enum(['1', 'true', '0', 'false']).optional() }),
    responses: {
      200: json('The containers.', z.array(ContainerSummarySchema)),
      500: SERVER_ERROR,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'get',
    path: '/containers/{id}/json',
    operationId: 'ContainerInspect',
    summary: 'Inspect a container, with the ids of its execs.',
    versioned: true,
    pathParams: containerRef,
    responses: {
      200: json('The container.', ContainerInspectResponseSchema),
      404: error('No such container.'),
      500: SERVER_ERROR,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/containers/{id}/exec',
    operationId: 'ContainerExec',
    summary: 'Create an exec in a running container.',
    versioned: true,
    pathParams: containerRef,
    body: ExecCreateBody,
    responses: {
      201: json('The exec was created.', ExecCreateResponseSchema),
      400: error('Invalid body, no command, or an unknown user.'),
      404: error('No such container.'),
      409: error('The container is not running or is paused.'),
      413: error('The body is larger than 1 MiB.'),
      500: SERVER_ERROR,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/exec/{id}/start',
    operationId: 'ExecStart',
    summary: 'Start an exec: attached (hijacked stream) or detached.',
    versioned: true,
    pathParams: execId,
    body: ExecStartBody,
    responses: {
      101: { description: 'Attached start with `Upgrade: tcp`. The connection carries the stream.' },
      200: {
        description: 'Detached start (empty body), or an attached start without `Upgrade`.',
        contentType: [MULTIPLEXED_STREAM_MEDIA_TYPE, RAW_STREAM_MEDIA_TYPE],
        schema: z.string().meta({ format: 'binary' }),
      },
      400: error('Invalid body.'),
      404: NO_SUCH_EXEC,
      409: error('The exec already ran or runs, or its container is not running or is paused.'),
      500: SERVER_ERROR,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/exec/{id}/resize',
    operationId: 'ExecResize',
    summary: "Resize an exec's terminal.",
    versioned: true,
    pathParams: execId,
    query: z.object({
      h: z.string().regex(/^\d+$/).meta({ description: 'Height in rows.' }),
      w: z.string().regex(/^\d+$/).meta({ description: 'Width in columns.' }),
    }),
    responses: {
      200: { description: 'The terminal was resized, or the size is kept for the start.' },
      400: error('Invalid height or width.'),
      404: NO_SUCH_EXEC,
      409: error('The container is not running or is paused.'),
      500: SERVER_ERROR,
    },
  },
  {
    method: 'get',
    path: '/exec/{id}/json',
    operationId: 'ExecInspect',
    summary: 'Inspect an exec.',
    versioned: true,
    pathParams: execId,
    responses: { 200: json('The exec.', ExecInspectResponseSchema), 404: NO_SUCH_EXEC },
  },
  {
    method: 'post',
    path: '/exec/{id}/kill',
    operationId: 'ExecKill',
    summary: "dexec extension: send a signal to a running exec's process.",
    versioned: true,
    pathParams: execId,
    query: z.object({
      signal: z
        .string()
        .optional()
        .meta({ description: 'Signal name with or without `SIG`, or its number; SIGKILL when absent.' }),
    }),
    responses: {
      204: { description: 'The signal was sent.' },
      400: error('Unknown signal.'),
      404: NO_SUCH_EXEC,
      409: error('The exec is not running.'),
      500: SERVER_ERROR,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'get',
    path: '/execs',
    operationId: 'ExecList',
    summary: 'dexec extension: list exec records, oldest first.',
    versioned: true,
    query: z.object({
      container: z.string().optional().meta({ description: 'Container id, unique id prefix, or name.' }),
      running: z.enum(['true', 'false']).optional().meta({ description: 'Only running, or only not running execs.' }),
      since: z
        .string()
        .optional()
        .meta({ description: 'Created at or after this time: Unix seconds or RFC 3339.' }),
    }),
    responses: {
      200: json('The exec records.', z.array(ExecInspectResponseSchema)),
      400: error('Invalid filter value.'),
      404: error('No such container.'),
      503: UNAVAILABLE,
    },
  },
  {
    method: 'get',
    path: '/events',
    operationId: 'SystemEvents',
    summary: 'Stream exec events: past ones from `since`, then live ones until `until`.',
    versioned: true,
    query: z.object({
      since: z.string().optional().meta({ description: UNIX_SECONDS }),
      until: z.string().optional().meta({ description: UNIX_SECONDS }),
      filters: z.string().optional().meta({ description: 'JSON map of filter names to values.' }),
    }),
    responses: {
      200: {
        description: 'One JSON message per line (`application/json` before API 1.52).',
        contentType: 'application/jsonl',
        schema: EventMessageSchema,
      },
      400: error('Invalid since, until or filters.'),
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'Metrics',
    summary: 'Prometheus metrics of this server.',
    versioned: false,
    responses: {
      200: {
        description: 'Prometheus text format 0.0.4.',
        contentType: 'text/plain; version=0.0.4',
        schema: z.string(),
      },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'OpenApiDocument',
    summary: 'This OpenAPI document.',
    versioned: false,
    responses: { 200: json('An OpenAPI 3.1 document.', z.record(z.string(), z.unknown())) },
  },
]
