import { chmod, mkdir, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import { combineObservers, ContainerdClient, ExecService, isContainerdError } from '@dexec/core'
import { ExecDb } from '@dexec/exec-db'
import { getRequestListener } from '@hono/node-server'
import pino, { type Logger } from 'pino'

import { createApp } from './app.js'
import { AuditLog } from './audit.js'
import { ServerMetrics } from './metrics.js'
import { createUpgradeListener } from './upgrade.js'

const KEEP_ALIVE_TIMEOUT_MS = 120_000

/** Options of a dexec server. */
export interface ServerOptions {
  /** containerd's socket path or `unix://` address. */
  containerd: string
  namespace: string
  /** The listen address: `unix:///path/to.sock` or `tcp://127.0.0.1:PORT`. */
  host: string
  /** Directory for the FIFOs of running execs and the exec record database, `execs.db`. */
  stateDir: string
  /** Kill an attached process when its client goes away (default true). */
  killOnDisconnect?: boolean
  /** Interval of the GC of finished exec records, in ms (default 5 minutes). */
  gcIntervalMs?: number
  /** Deadline of execs whose create request sets no `Timeout`, in seconds (default 0, none). */
  execTimeoutSeconds?: number
  /** Time between SIGTERM and SIGKILL at an exec's deadline, in seconds (default 10). */
  execTimeoutGraceSeconds?: number
  logger?: Logger
  /** File for the audit log (JSON lines, one at the start and one at the end of each exec). */
  auditLog?: string
  /** Size in MB at which the audit log is rotated (default 100); five rotated files are kept. */
  auditLogMaxSizeMb?: number
}

/** A running dexec server. */
export interface DexecServer {
  readonly service: ExecService
  readonly metrics: ServerMetrics
  readonly http: Server
  /** The address clients use, as DOCKER_HOST: `unix:///...` or `tcp://host:port`. */
  readonly address: string
  /** Stops serving; attached streams get up to `graceMs` (default 0) to finish. */
  close(graceMs?: number): Promise<void>
}

/** A listen address, parsed. */
export type ListenAddress =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'fd'; fd: number }

/**
 * Parses `unix:///path`, `tcp://host:port` or `fd://[N]`. TCP is accepted
 * only on a loopback address, because the API runs commands in containers
 * and this server has no TLS yet. `fd://` is the first socket that systemd
 * passes (fd 3), `fd://N` a given one; the caller checks that it was passed.
 */
export function parseListenAddress(host: string): ListenAddress {
  if (host.startsWith('fd://')) return parseFdAddress(host)
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

function parseFdAddress(host: string): ListenAddress {
  const text = host.slice('fd://'.length)
  const fd = text === '' ? 3 : Number(text)
  if (!/^\d*$/.test(text) || fd < 3) {
    throw new Error(`invalid listen address ${host}: expected fd:// or fd://N with N >= 3`)
  }
  return { kind: 'fd', fd }
}

/** Starts the server: connects to containerd, opens the exec service and listens. */
export async function startServer(options: ServerOptions): Promise<DexecServer> {
  const logger = options.logger ?? pino({ level: 'silent' })
  const listen = parseListenAddress(options.host)
  const client = new ContainerdClient({ address: options.containerd, namespace: options.namespace })
  const metrics = new ServerMetrics()
  const audit = options.auditLog
    ? new AuditLog({ path: options.auditLog, maxSizeMb: options.auditLogMaxSizeMb, logger })
    : undefined
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 })
  const db = new ExecDb(join(options.stateDir, 'execs.db'))
  const service = new ExecService({
    client,
    stateDir: options.stateDir,
    killOnDisconnect: options.killOnDisconnect ?? true,
    gcIntervalMs: options.gcIntervalMs,
    execTimeoutSeconds: options.execTimeoutSeconds,
    execTimeoutGraceSeconds: options.execTimeoutGraceSeconds,
    persistence: db,
    onError: (err, context) => {
      // containerd being away is an expected condition, logged without a stack.
      if (isContainerdError(err, 'UNAVAILABLE')) logger.warn({ ...context, reason: err.message }, `${context.operation} failed: containerd is not available`)
      else logger.error({ err, ...context }, `${context.operation} failed`)
    },
    observer: combineObservers(metrics.observer, audit?.observer),
  })
  metrics.track(service)
  audit?.track(service)
  await service.open()

  const app = createApp({ service, logger, metrics, audit })
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
    metrics,
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
      // Before containerd's client closes, so that the exits of the cut streams are logged.
      await audit?.close()
      service.close()
      client.close()
      db.close()
      if (listen.kind === 'unix') await rm(listen.path, { force: true })
    },
  }
}

async function listenOn(http: Server, listen: ListenAddress): Promise<string> {
  if (listen.kind === 'fd') {
    // A socket that systemd opened and bound: its path and mode are its unit's.
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen({ fd: listen.fd }, () => resolve())
    })
    return `fd://${listen.fd}`
  }
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
