import { mkdir, rm } from 'node:fs/promises'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import { combineObservers, ContainerdClient, ExecService, isContainerdError } from '@dexec/core'
import { ExecDb } from '@dexec/exec-db'
import { getRequestListener } from '@hono/node-server'
import pino, { type Logger } from 'pino'

import { createApp } from './app.js'
import { AuditLog } from './audit.js'
import {
  DEFAULT_HTTP_LIMITS,
  checkListenSecurity,
  createListener,
  listenOn,
  parseListenAddress,
  readTlsCredentials,
  resolveGroup,
  type TlsOptions,
} from './listen.js'
import { ServerMetrics } from './metrics.js'
import { createUpgradeListener, writeResponse } from './upgrade.js'

const KEEP_ALIVE_TIMEOUT_MS = 120_000
// How long a shutdown waits for the kills of the processes whose streams it cut.
const SETTLE_TIMEOUT_MS = 10_000

/** Maximum length of the request target (path and query), in bytes. A longer one gets 414. */
export const MAX_REQUEST_TARGET_BYTES = 8 * 1024

/** Options of a dexec server. */
export interface ServerOptions {
  /** containerd's socket path or `unix://` address. */
  containerd: string
  namespace: string
  /**
   * The listen address: `unix:///path/to.sock`, `tcp://HOST:PORT` or `fd://[N]` (a socket
   * that systemd passed). A TCP address that is not loopback needs `tls`.
   */
  host: string
  /** Group name or gid that gets the unix socket (mode 0660); by default the process's group. */
  socketGroup?: string
  /** HTTPS that accepts only clients with a certificate signed by `tls.caFile`; plain HTTP when unset. */
  tls?: TlsOptions
  /** Time a client has to send its request headers, in ms (default 10,000). */
  headersTimeoutMs?: number
  /** Maximum size of the request line and headers, in bytes (default 16 KiB); larger gets 431. */
  maxHeaderBytes?: number
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

/** Starts the server: connects to containerd, opens the exec service and listens. */
export async function startServer(options: ServerOptions): Promise<DexecServer> {
  const logger = options.logger ?? pino({ level: 'silent' })
  const listen = parseListenAddress(options.host)
  checkListenSecurity(listen, options.tls)
  // Everything the options name is read before containerd is contacted, so a
  // wrong group or certificate path fails without leaving anything open.
  const gid = options.socketGroup === undefined ? undefined : await resolveGroup(options.socketGroup)
  const tls = options.tls === undefined ? undefined : await readTlsCredentials(options.tls)
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 })
  // First of what stays open: it fails when another server uses the same state directory.
  const db = new ExecDb(join(options.stateDir, 'execs.db'))
  const client = new ContainerdClient({ address: options.containerd, namespace: options.namespace })
  const metrics = new ServerMetrics()
  const audit = options.auditLog
    ? new AuditLog({ path: options.auditLog, maxSizeMb: options.auditLogMaxSizeMb, logger })
    : undefined
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
  const limits = {
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HTTP_LIMITS.headersTimeoutMs,
    maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_HTTP_LIMITS.maxHeaderBytes,
  }
  const handler = getRequestListener(app.fetch)
  const http = createListener(rejectLongTarget(handler), limits, tls)
  // Node closes a keep-alive connection after 5 s idle by default, and a client that reuses it
  // at that moment gets EPIPE or ECONNRESET (seen under load with 128 concurrent execs). The
  // wait is longer than the 90 s after which Go's default HTTP transport drops idle
  // connections, so that such a client closes first. dockerd has no idle limit at all.
  http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
  const hijacked = new Set<Duplex>()
  const onUpgrade = createUpgradeListener(app, logger, hijacked)
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!targetTooLong(req)) return onUpgrade(req, socket, head)
    const headers = { 'Content-Type': 'application/json' }
    return writeResponse(socket, new Response(targetTooLongBody(), { status: 414, headers }))
  })
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    logger.debug({ err }, 'invalid HTTP request')
    if (socket.writable) socket.end(clientErrorResponse(err))
    else socket.destroy()
  })
  http.on('tlsClientError', (err: Error) => logger.debug({ err }, 'TLS handshake failed'))

  let address: string
  try {
    address = await listenOn(http, listen, gid)
  } catch (err) {
    http.close()
    await audit?.close(0)
    service.close()
    client.close()
    db.close()
    throw err
  }
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
      // The processes of the cut streams are killed through containerd's client, so it stays
      // open until those kills went out.
      await service.settle(SETTLE_TIMEOUT_MS)
      // Before containerd's client closes, so that the exits of the cut streams are logged.
      await audit?.close()
      service.close()
      client.close()
      db.close()
      if (listen.kind === 'unix') await rm(listen.path, { force: true })
    },
  }
}

function targetTooLong(req: IncomingMessage): boolean {
  return Buffer.byteLength(req.url ?? '') > MAX_REQUEST_TARGET_BYTES
}

function rejectLongTarget(handler: (req: IncomingMessage, res: ServerResponse) => unknown) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!targetTooLong(req)) return handler(req, res)
    res.writeHead(414, { 'Content-Type': 'application/json', Connection: 'close' })
    res.end(targetTooLongBody())
  }
}

function targetTooLongBody(): string {
  return `${JSON.stringify({ message: `request target is longer than ${MAX_REQUEST_TARGET_BYTES} bytes` })}\n`
}

/** Returns the response to a request that Node cannot parse, with a JSON message like every error. */
function clientErrorResponse(err: NodeJS.ErrnoException): string {
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ['431 Request Header Fields Too Large', 'request headers are larger than the limit']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['408 Request Timeout', 'request headers did not arrive in time']
        : ['400 Bad Request', 'malformed HTTP request']
  const body = `${JSON.stringify({ message })}\n`
  const head = [
    `HTTP/1.1 ${status}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ]
  return `${head.join('\r\n')}\r\n\r\n${body}`
}
