// One small Engine API client over a unix socket, used unchanged for dockerd and for dexec so
// that any difference in the results comes from the servers.

import { request } from 'node:http'
import { connect, type Socket } from 'node:net'

/** The API version every request is sent with: the newest one dockerd 20.10 serves. */
export const API_PREFIX = '/v1.41'

/** A complete HTTP response. Header names keep the server's spelling and order. */
export interface EngineResponse {
  status: number
  statusText: string
  headers: Array<[name: string, value: string]>
  body: Buffer
}

/** Options of one request. */
export interface RequestOptions {
  /** Request body; a non-string value is sent as JSON with `Content-Type: application/json`. */
  body?: unknown
  headers?: Record<string, string>
  /** Send the path as given instead of under API_PREFIX. */
  unversioned?: boolean
  /** Abort the request after this many milliseconds (default 30 s). */
  timeoutMs?: number
}

/** A start request whose connection was taken over for the exec's streams. */
export interface HijackedStart {
  status: number
  statusText: string
  /** Header lines of the response head, in the order the server wrote them. */
  headers: Array<[name: string, value: string]>
  socket: Socket
  /** Every byte the server sends after the head, until it ends the connection. */
  output: Promise<Buffer>
  /** Bytes received after the head so far. */
  received(): Buffer
}

/** Sends Engine API requests to one unix socket. */
export class EngineClient {
  constructor(readonly socketPath: string) {}

  /** Sends a request and reads the whole response, whatever its status. */
  request(method: string, path: string, options: RequestOptions = {}): Promise<EngineResponse> {
    const { body, headers } = encodeBody(options.body, options.headers)
    const url = options.unversioned ? path : `${API_PREFIX}${path}`
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: this.socketPath, method, path: url, headers: { Host: 'docker', ...headers } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              headers: pairs(res.rawHeaders),
              body: Buffer.concat(chunks),
            }),
          )
        },
      )
      req.setTimeout(options.timeoutMs ?? 30_000, () => {
        req.destroy(new Error(`${method} ${url} timed out after ${options.timeoutMs ?? 30_000} ms`))
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  /**
   * Sends `POST /exec/{id}/start` on a raw connection, as the docker CLI does: with
   * `Connection: Upgrade` and `Upgrade: tcp` unless `upgrade` is false. Once the response head
   * has arrived, the connection carries the exec's streams in both directions.
   */
  async startHijacked(execId: string, body: unknown, upgrade = true): Promise<HijackedStart> {
    const socket = connect({ path: this.socketPath, allowHalfOpen: true })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const payload = typeof body === 'string' ? body : JSON.stringify(body)
    const lines = [
      `POST ${API_PREFIX}/exec/${execId}/start HTTP/1.1`,
      'Host: docker',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(payload)}`,
    ]
    if (upgrade) lines.push('Connection: Upgrade', 'Upgrade: tcp')
    socket.write(`${lines.join('\r\n')}\r\n\r\n${payload}`)
    return readHead(socket)
  }
}

function encodeBody(
  body: unknown,
  headers: Record<string, string> = {},
): { body: string | Buffer | undefined; headers: Record<string, string> } {
  if (body === undefined) return { body: undefined, headers }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    return { body, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } }
  }
  const json = JSON.stringify(body)
  return {
    body: json,
    headers: {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(json)),
      ...headers,
    },
  }
}

function pairs(raw: string[]): Array<[string, string]> {
  const result: Array<[string, string]> = []
  for (let index = 0; index + 1 < raw.length; index += 2)
    result.push([raw[index]!, raw[index + 1]!])
  return result
}

/** Reads the response head from `socket`; what follows it is the stream. */
function readHead(socket: Socket): Promise<HijackedStart> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('end', onEnd)
      try {
        resolve(
          parseHead(
            socket,
            buffered.subarray(0, end).toString('latin1'),
            buffered.subarray(end + 4),
          ),
        )
      } catch (error) {
        socket.destroy()
        reject(error)
      }
    }
    const onError = (error: Error) => reject(error)
    const onEnd = () =>
      reject(new Error(`connection ended before a response head: ${buffered.toString()}`))
    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('end', onEnd)
  })
}

function parseHead(socket: Socket, head: string, rest: Buffer): HijackedStart {
  const [statusLine = '', ...headerLines] = head.split('\r\n')
  const match = /^HTTP\/1\.1 (\d{3}) ?(.*)$/.exec(statusLine)
  if (!match) throw new Error(`invalid status line: ${JSON.stringify(statusLine)}`)
  const headers = headerLines.map((line): [string, string] => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon), line.slice(colon + 1).trim()]
  })
  const chunks: Buffer[] = rest.length > 0 ? [rest] : []
  let length = rest.length
  // An error reply has a Content-Length and may leave the connection open; a stream ends it.
  const contentLength = headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1]
  const output = new Promise<Buffer>((resolve, reject) => {
    const finish = () => {
      socket.destroy()
      resolve(Buffer.concat(chunks))
    }
    const complete = () => contentLength !== undefined && length >= Number(contentLength)
    if (complete()) return finish()
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      length += chunk.length
      if (complete()) finish()
    })
    socket.once('end', finish)
    socket.on('error', reject)
  })
  // A failed stream rejects `output` for the caller that awaits it, and is not unhandled here.
  output.catch(() => undefined)
  return {
    status: Number(match[1]),
    statusText: match[2] ?? '',
    headers,
    socket,
    output,
    received: () => Buffer.concat(chunks),
  }
}
