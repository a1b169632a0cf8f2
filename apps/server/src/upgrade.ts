import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

import { MAX_BODY_BYTES } from '@dexec/api-types'
import type { Hono } from 'hono'
import type { Logger } from 'pino'

import type { AppEnv } from './app.js'

/**
 * Handles requests that carry an Upgrade header. Node hands them over with
 * the raw socket and does not read their body, so the body is taken from the
 * socket here (Content-Length bytes) and whatever follows is put back as the
 * start of stdin. The request then goes through the Hono app like any other,
 * with the socket in `c.env.hijack`. A normal response (an error, or any
 * route that does not hijack) is written to the socket and the connection
 * closed. Every hijacked socket is kept in `open` until it closes, so that
 * a shutdown can end them.
 */
export function createUpgradeListener(app: Hono<AppEnv>, logger: Logger, open: Set<Duplex>) {
  return async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
    socket.on('error', (err) => logger.debug({ err }, 'hijacked connection failed'))
    let body: Buffer
    try {
      body = await readBody(req, socket, head)
    } catch (err) {
      writeResponse(socket, new Response(`${JSON.stringify({ message: (err as Error).message })}\n`, {
        status: (err as { status?: number }).status ?? 400,
        headers: { 'Content-Type': 'application/json' },
      }))
      return
    }
    const request = new Request(`http://localhost${req.url ?? '/'}`, {
      method: req.method,
      headers: toHeaders(req),
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    })
    const response = await app.fetch(request, { incoming: req, hijack: { socket, head: Buffer.alloc(0) } })
    if (response.headers.get('x-hono-already-sent')) return
    writeResponse(socket, response)
  }
}

/** Reads Content-Length bytes of body from `head` and the socket; unshifts the rest. */
async function readBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Buffer> {
  const length = Number(req.headers['content-length'] ?? 0)
  if (!Number.isSafeInteger(length) || length < 0) throw Object.assign(new Error('invalid Content-Length'), { status: 400 })
  if (length > MAX_BODY_BYTES) {
    throw Object.assign(new Error(`request body is larger than ${MAX_BODY_BYTES} bytes`), { status: 413 })
  }
  let buffered = head
  while (buffered.length < length) {
    const chunk = await nextChunk(socket)
    if (!chunk) throw Object.assign(new Error('connection closed before the request body was read'), { status: 400 })
    buffered = Buffer.concat([buffered, chunk])
  }
  if (buffered.length > length) socket.unshift(buffered.subarray(length))
  return buffered.subarray(0, length)
}

function nextChunk(socket: Duplex): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      cleanup()
      socket.pause()
      resolve(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(null)
    }
    const cleanup = () => {
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('close', onEnd)
    }
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('close', onEnd)
    socket.resume()
  })
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  }
  return headers
}

/** Writes a fetch Response as HTTP/1.1 with Content-Length on an upgrade connection, then closes it. */
export async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer())
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText || statusText(response.status)}`]
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'connection') lines.push(`${name}: ${value}`)
  })
  lines.push(`Content-Length: ${body.length}`, 'Connection: close')
  // The client may still be sending a body that was never read (a 413, for
  // one). Its bytes are discarded, and the connection is cut if the client
  // has not closed it a second after the response was written.
  socket.on('end', () => socket.destroy())
  socket.resume()
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]), () => {
    setTimeout(() => socket.destroy(), UNREAD_BODY_LINGER_MS).unref()
  })
}

const UNREAD_BODY_LINGER_MS = 1_000

function statusText(status: number): string {
  const texts: Record<number, string> = {
    200: 'OK', 201: 'Created', 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict',
    413: 'Payload Too Large', 414: 'URI Too Long', 500: 'Internal Server Error', 503: 'Service Unavailable',
  }
  return texts[status] ?? ''
}
