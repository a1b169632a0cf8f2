// A small Engine API client over a unix socket, used unchanged for dexec and for dockerd so that
// a difference in the figures comes from the servers. Plain requests go through node:http with
// keep-alive connections, as the docker CLI reuses its connections. An attached start takes a
// raw connection of its own and keeps it for the exec's streams.

import { Agent, request } from 'node:http'
import { connect, type Socket } from 'node:net'

/** The API version of every request: the newest that dockerd 20.10 serves. */
export const API_PREFIX = '/v1.41'

/** A complete response to a plain request. */
export interface EngineResponse {
  status: number
  body: Buffer
}

/** An attached start: the connection carries the exec's streams once the head has arrived. */
export interface AttachedStart {
  socket: Socket
  /** Stream bytes that arrived in the same read as the response head. */
  initial: Buffer
}

/** Options of EngineClient.createExec. */
export interface ExecConfig {
  cmd: string[]
  tty?: boolean
  stdin?: boolean
}

/** Sends Engine API requests to one server. */
export class EngineClient {
  readonly #agent: Agent

  constructor(readonly socketPath: string) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: 1024 })
  }

  /** Sends a request and reads the whole response, whatever its status. */
  request(method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<EngineResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const headers: Record<string, string> = { Host: 'docker' }
    if (payload) {
      headers['Content-Type'] = 'application/json'
      headers['Content-Length'] = String(payload.length)
    }
    return new Promise((resolve, reject) => {
      const options = { socketPath: this.socketPath, agent: this.#agent, method, path, headers }
      const req = request(options, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
      })
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)))
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Sends a request under API_PREFIX and parses the JSON reply; fails on another status. */
  async call<T>(method: string, path: string, status: number, body?: unknown): Promise<T> {
    const response = await this.request(method, `${API_PREFIX}${path}`, body)
    if (response.status !== status) {
      const text = response.body.toString().trim()
      throw new Error(`${method} ${path} returned ${response.status} instead of ${status}: ${text}`)
    }
    return (response.body.length ? JSON.parse(response.body.toString()) : undefined) as T
  }

  /** Creates an exec in `container` with stdout and stderr attached; returns its id. */
  async createExec(container: string, config: ExecConfig): Promise<string> {
    const body = {
      Cmd: config.cmd,
      Tty: config.tty ?? false,
      AttachStdin: config.stdin ?? false,
      AttachStdout: true,
      AttachStderr: true,
    }
    const created = await this.call<{ Id: string }>('POST', `/containers/${container}/exec`, 201, body)
    return created.Id
  }

  /** Returns the exit code from an exec's inspect. */
  async exitCode(execId: string): Promise<number | null> {
    const inspect = await this.call<{ ExitCode: number | null }>('GET', `/exec/${execId}/json`, 200)
    return inspect.ExitCode
  }

  /**
   * Starts an exec on a raw connection with `Upgrade: tcp`, as the docker CLI does, and waits
   * for the `101` head. The socket is paused, so no stream byte is lost before the caller reads.
   */
  startAttached(execId: string, tty: boolean): Promise<AttachedStart> {
    const payload = JSON.stringify({ Detach: false, Tty: tty })
    const head = [
      `POST ${API_PREFIX}/exec/${execId}/start HTTP/1.1`,
      'Host: docker',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(payload)}`,
      'Connection: Upgrade',
      'Upgrade: tcp',
    ]
    const socket = connect({ path: this.socketPath, allowHalfOpen: true })
    socket.write(`${head.join('\r\n')}\r\n\r\n${payload}`)
    return readHead(socket)
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.#agent.destroy()
  }
}

function readHead(socket: Socket): Promise<AttachedStart> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0)
    const cleanup = () => {
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('end', onEnd)
    }
    const onData = (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      cleanup()
      socket.pause()
      const statusLine = buffered.subarray(0, buffered.indexOf('\r\n')).toString('latin1')
      if (!statusLine.startsWith('HTTP/1.1 101')) {
        socket.destroy()
        reject(new Error(`exec start returned ${statusLine}: ${buffered.subarray(end + 4)}`))
        return
      }
      resolve({ socket, initial: buffered.subarray(end + 4) })
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    const onEnd = () => {
      cleanup()
      reject(new Error(`connection ended before the response head: ${buffered}`))
    }
    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('end', onEnd)
  })
}
