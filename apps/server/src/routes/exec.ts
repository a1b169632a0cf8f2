import type { Writable } from 'node:stream'

import {
  apiVersionAtLeast,
  ExecStartBody,
  parseResizeQuery,
  RAW_STREAM_MEDIA_TYPE,
  startStreamMediaType,
} from '@dexec/api-types'
import { DexecError, parseExecListQuery, type ExecService, type StartExecRequest } from '@dexec/core'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context, Hono } from 'hono'
import type { Logger } from 'pino'

import type { AppEnv } from '../app.js'
import { engineHeaders } from '../headers.js'
import { sendJson } from '../json.js'
import { readBody } from './body.js'

interface StartBody extends StartExecRequest {
  Detach: boolean
}

/** Registers start, resize, inspect, and the dexec extensions kill and list, of execs. */
export function registerExecRoutes(app: Hono<AppEnv>, service: ExecService, logger: Logger): void {
  app.post('/exec/:id/start', async (c) => {
    const id = c.req.param('id')
    const body = await readBody<StartBody>(c, ExecStartBody)
    // ConsoleSize exists from API 1.42 on, and only means something with Tty.
    if (!apiVersionAtLeast(c.get('apiVersion'), '1.42') || !body.Tty) body.ConsoleSize = null
    if (body.Detach) {
      await service.startDetached(id, body)
      return c.body(null, 200, { 'Content-Length': '0' })
    }
    const prepared = await service.prepareStart(id)
    const output = openStream(c, body.Tty)
    const hijack = c.env.hijack
    const streams = { input: hijack ? hijack.socket : null, output }
    service.startAttached(prepared, body, streams).catch((err: unknown) => {
      logger.error({ err, execId: id }, 'exec session failed')
      output.end()
    })
    return RESPONSE_ALREADY_SENT
  })

  app.post('/exec/:id/resize', async (c) => {
    const size = parseResize(c.req.query('h'), c.req.query('w'))
    await service.resizeExec(c.req.param('id'), size.height, size.width)
    return c.body(null, 200, { 'Content-Length': '0' })
  })

  app.get('/exec/:id/json', (c) => sendJson(c, service.inspectExec(c.req.param('id'))))

  app.post('/exec/:id/kill', async (c) => {
    await service.killExec(c.req.param('id'), c.req.query('signal'))
    return c.body(null, 204)
  })

  app.get('/execs', async (c) => {
    const filter = parseExecListQuery({
      container: c.req.query('container'),
      running: c.req.query('running'),
      since: c.req.query('since'),
    })
    return sendJson(c, await service.listExecs(filter))
  })
}

function parseResize(h: string | undefined, w: string | undefined) {
  try {
    return parseResizeQuery({ h, w })
  } catch (err) {
    throw new DexecError('INVALID_PARAMETER', (err as Error).message, { cause: err })
  }
}

/**
 * Sends the response head of an attached start and returns where the output
 * goes. With an Upgrade header that is `101 UPGRADED` on the hijacked socket.
 * Without one it is a `200 OK` whose body runs until the connection closes,
 * with neither chunking nor Content-Length.
 */
function openStream(c: Context<AppEnv>, tty: boolean): Writable {
  const headers = engineHeaders()
  const hijack = c.env.hijack
  if (hijack) {
    const contentType = startStreamMediaType({ upgraded: true, tty, apiVersion: c.get('apiVersion') })
    const lines = [
      'HTTP/1.1 101 UPGRADED',
      `Content-Type: ${contentType}`,
      'Connection: Upgrade',
      'Upgrade: tcp',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ]
    hijack.socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    return hijack.socket
  }
  // NOTE: on this path the connection stays an HTTP request, so bytes the
  // client sends after the body never reach the process. Clients that
  // attach stdin send an Upgrade header, as the docker CLI does.
  const outgoing = c.env.outgoing!
  outgoing.removeHeader('transfer-encoding')
  outgoing.removeHeader('content-length')
  outgoing.writeHead(200, { ...headers, 'Content-Type': RAW_STREAM_MEDIA_TYPE, Connection: 'close' })
  outgoing.flushHeaders()
  return outgoing
}
