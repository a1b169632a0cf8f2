import { chmod, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import { ContainerdClient, ExecService, isContainerdError } from '@dexec/core'
import { getRequestListener } from '@hono/node-server'
import pino, { type Logger } from 'pino'

import { createApp } from './app.js'
import { createUpgradeListener } from './upgrade.js'

const KEEP_ALIVE_TIMEOUT_MS = 120_000

/** Options of a dexec server. */
export interface ServerOptions {
  /** containerd's socket path or `unix://` address. */
  containerd: string
  namespace: string
  /** The listen address: `unix:///path/to.sock` or `tcp://127.0.0.1:PORT`. */
  host: string
  /** Directory for the FIFOs of running execs. */
  stateDir: string
  /** Kill an attached process when its client goes away (default true). */
  killOnDisconnect?: boolean
  /** Interval of the GC of finished exec records, in ms (default 5 minutes). */
  gcIntervalMs?: number
  logger?: Logger
}

/** A running dexec server. */
export interface DexecServer {
  readonly service: ExecService
  readonly http: Server
  /** The address clients use, as DOCKER_HOST: `unix:///...` or `tcp://host:port`. */
  readonly address: string
  /** Stops serving; attached streams get up to `graceMs` (default 0) to finish. */
  close(graceMs?: number): Promise<void>
}

/** A listen address, parsed. */
export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number }

/**
 * Parses `unix:///path` or `tcp://host:port`. TCP is accepted only on a
 * loopback address, because the API runs commands in containers and this
 * server has no TLS yet.
 */
export function parseListenAddress(host: string): ListenAddress {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length)
    if (!path.startsWith('/')) throw new Error(`invalid listen address ${host}: the socket path must be absolute`)
    return { kind: 'unix', path }
  }
  const match = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(host)
  if (!match) throw new Error(`invalid listen address ${host}: expected unix:///PATH or tcp://HOST:PORT`)
  const hostname = match[1]!.replace(/^\[|\]$/g, '')
  const port = Number(match[2])
  if (port > 65535) throw new Error(`invalid listen address ${host}: port ${port} is out of range`)
  if (!['127.0.0.1', 'localhost', '::1'].includes(hostname) && !hostname.startsWith('127.')) {
    throw new Error(`refusing to listen on ${host}: TCP is only served on a loopback address`)
  }
  return { kind: 'tcp', host: hostname, port }
}

/** Starts the server: connects to containerd, opens the exec service and listens. */
export async function startServer(options: ServerOptions): Promise<DexecServer> {
  const logger = options.logger ?? pino({ level: 'silent' })
  const listen = parseListenAddress(options.host)
  const client = new ContainerdClient({ address: options.containerd, namespace: options.namespace })
  const service = new ExecService({
    client,
    stateDir: options.stateDir,
    killOnDisconnect: options.killOnDisconnect ?? true,
    gcIntervalMs: options.gcIntervalMs,
    onError: (err, context) => {
      // containerd being away is an expected condition, logged without a stack.
      if (isContainerdError(err, 'UNAVAILABLE')) logger.warn({ ...context, reason: err.message }, `${context.operation} failed: containerd is not available`)
      else logger.error({ err, ...context }, `${context.operation} failed`)
    },
  })
  await service.open()

  const app = createApp({ service, logger })
  const http = createServer(getRequestListener(app.fetch))
  // Node closes a keep-alive connection after 5 s idle by default, and a client that reuses it
  // at that moment gets EPIPE or ECONNRESET (seen under load with 128 concurrent execs). The
  // wait is longer than the 90 s after which Go's default HTTP transport drops idle
  // connections, so that such a client closes first. dockerd has no idle limit at all.
  http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
  const hijacked = new Set<Duplex>()
  http.on('upgrade', createUpgradeListener(app, logger, hijacked))
  http.on('clientError', (err, socket) => {
    logger.debug({ err }, 'invalid HTTP request')
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
  })

  const address = await listenOn(http, listen)
  logger.info({ address, containerd: options.containerd, namespace: options.namespace }, 'dexec is listening')
  return {
    service,
    http,
    address,
    close: async (graceMs = 0) => {
      // New connections are refused at once and new execs get 503, while
      // attached streams may finish within the grace period. Streams still
      // open after it are cut, which kills their processes like any client
      // that goes away.
      service.beginShutdown()
      const closed = new Promise<void>((resolve) => http.close(() => resolve()))
      http.closeIdleConnections()
      const deadline = Date.now() + graceMs
      while (hijacked.size > 0 && Date.now() < deadline) await sleep(50)
      http.closeAllConnections()
      for (const socket of hijacked) socket.destroy()
      await closed
      service.close()
      client.close()
      if (listen.kind === 'unix') await rm(listen.path, { force: true })
    },
  }
}

async function listenOn(http: Server, listen: ListenAddress): Promise<string> {
  if (listen.kind === 'unix') {
    await rm(listen.path, { force: true })
    // The umask makes the socket 0660 from the moment it exists.
    const previous = process.umask(0o117)
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject)
        http.listen(listen.path, () => resolve())
      })
    } finally {
      process.umask(previous)
    }
    await chmod(listen.path, 0o660)
    return `unix://${listen.path}`
  }
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(listen.port, listen.host, () => resolve())
  })
  const { address, port } = http.address() as AddressInfo
  return `tcp://${address.includes(':') ? `[${address}]` : address}:${port}`
}
