import { chown, readFile, rm, stat } from 'node:fs/promises'
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { isIP, type AddressInfo } from 'node:net'

/** A listen address, parsed. */
export type ListenAddress =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'fd'; fd: number }

/** Files of a TLS listener that verifies client certificates, as Docker's --tlsverify uses them. */
export interface TlsOptions {
  /** PEM file of the CA that client certificates must be signed by. */
  caFile: string
  /** PEM file of the server certificate. */
  certFile: string
  /** PEM file of the server key. */
  keyFile: string
}

/** Docker's TLS flags of `dockerd` as parsed from the command line. */
export interface TlsFlags {
  tlsverify?: boolean
  tlscacert?: string
  tlscert?: string
  tlskey?: string
}

/**
 * Turns Docker's TLS flags into TlsOptions, undefined without --tlsverify.
 * Throws when --tlsverify lacks a file, or a file is given without it.
 */
export function tlsFromFlags(flags: TlsFlags): TlsOptions | undefined {
  const { tlsverify, tlscacert: caFile, tlscert: certFile, tlskey: keyFile } = flags
  if (!tlsverify) {
    if (caFile || certFile || keyFile) {
      throw new Error('--tlscacert, --tlscert and --tlskey take effect only with --tlsverify: add --tlsverify')
    }
    return undefined
  }
  if (!caFile || !certFile || !keyFile) throw new Error('--tlsverify needs --tlscacert, --tlscert and --tlskey')
  return { caFile, certFile, keyFile }
}

/** Limits on the HTTP layer, applied before a request reaches the API. */
export interface HttpLimits {
  /** Time a client has to send the request line and headers, in ms. */
  headersTimeoutMs: number
  /** Maximum size of the request line plus headers, in bytes; larger gets 431. */
  maxHeaderBytes: number
}

/** Defaults of HttpLimits: 10 s for the headers, and Node's 16 KiB for their size. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, maxHeaderBytes: 16 * 1024 }

/**
 * Parses `unix:///path`, `tcp://host:port` or `fd://[N]`. Whether a TCP
 * address may be served without TLS is decided by checkListenSecurity.
 * `fd://` is the first socket that systemd passes (fd 3), `fd://N` a given
 * one; the caller checks that it was passed.
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

/**
 * Throws for a TCP address that is not loopback when no TLS with client
 * certificates is set, because anyone who reaches the API can run commands
 * in the containers. It runs before anything is bound.
 */
export function checkListenSecurity(listen: ListenAddress, tls: TlsOptions | undefined): void {
  if (listen.kind !== 'tcp' || tls !== undefined || isLoopback(listen.host)) return
  const displayedHost = listen.host.includes(':') ? `[${listen.host}]` : listen.host
  throw new Error(
    `cannot listen on tcp://${displayedHost}:${listen.port} without TLS: a non-loopback address ` +
      'needs --tlsverify with --tlscacert, --tlscert and --tlskey',
  )
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

/** PEM contents of TlsOptions, read before anything connects or listens. */
export interface TlsCredentials {
  ca: Buffer
  cert: Buffer
  key: Buffer
}

/** Reads the files of `tls`; throws naming the file that cannot be read. */
export async function readTlsCredentials(tls: TlsOptions): Promise<TlsCredentials> {
  const read = (flag: string, path: string) =>
    readFile(path).catch((err: Error) => {
      throw new Error(`failed to read ${flag} ${path}: ${err.message}`, { cause: err })
    })
  const [ca, cert, key] = await Promise.all([
    read('--tlscacert', tls.caFile),
    read('--tlscert', tls.certFile),
    read('--tlskey', tls.keyFile),
  ])
  return { ca, cert, key }
}

/**
 * Creates the HTTP server, or an HTTPS server that requires a client
 * certificate signed by `tls.ca` when TLS is set.
 */
export function createListener(handler: RequestListener, limits: HttpLimits, tls?: TlsCredentials): Server {
  // Node checks the timeouts at this interval. Its 30 s default would let a
  // short headers timeout run several times over.
  const common = {
    maxHeaderSize: limits.maxHeaderBytes,
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
  }
  const server = tls
    ? createHttpsServer({ ...common, ...tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, handler)
    : createHttpServer(common, handler)
  server.headersTimeout = limits.headersTimeoutMs
  // The whole request, body included, gets 60 s more than its headers. Node
  // stops applying both timeouts to a connection once it is upgraded (checked
  // on Node 20), so an attached stream is never cut by them.
  server.requestTimeout = limits.headersTimeoutMs + 60_000
  return server
}

/**
 * Binds `server` and returns the address for clients. A unix socket is made
 * with mode 0660 and, when `gid` is set, handed to that group.
 */
export async function listenOn(server: Server, listen: ListenAddress, gid?: number): Promise<string> {
  if (listen.kind === 'fd') {
    // A socket that systemd opened and bound: its path, mode and group are its unit's.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ fd: listen.fd }, () => resolve())
    })
    return `fd://${listen.fd}`
  }
  if (listen.kind === 'tcp') {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(listen.port, listen.host, () => resolve())
    })
    const { address, port } = server.address() as AddressInfo
    return `tcp://${address.includes(':') ? `[${address}]` : address}:${port}`
  }
  await rm(listen.path, { force: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.once('listening', () => resolve())
    // Node binds a unix socket synchronously inside listen(), so the umask is
    // in force exactly for the bind and the socket is never wider than 0660.
    const previous = process.umask(0o117)
    try {
      server.listen(listen.path)
    } finally {
      process.umask(previous)
    }
  })
  if (gid !== undefined) await chown(listen.path, -1, gid)
  const mode = (await stat(listen.path)).mode & 0o777
  if (mode !== 0o660) throw new Error(`socket ${listen.path} has mode ${mode.toString(8)}, expected 660`)
  return `unix://${listen.path}`
}

/** Resolves a group name or numeric gid through the host's /etc/group. */
export async function resolveGroup(group: string, groupFile = '/etc/group'): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group)
  const text = await readFile(groupFile, 'utf8')
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':')
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid)
  }
  throw new Error(`unknown group ${group}: it is not in ${groupFile}`)
}
