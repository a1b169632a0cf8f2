import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { TLSSocket } from 'node:tls'
import { promisify } from 'node:util'

/** Sender of a request, as far as the connection shows it. */
export type AuditCaller =
  | {
      transport: 'unix'
      /** Owner of the peer process, or null when it could not be found. */
      uid: number | null
      pid: number | null
    }
  | {
      transport: 'tcp'
      address: string
      port: number
      /** Subject of the verified TLS client certificate (`CN=...,O=...`), null without TLS. */
      tlsSubject: string | null
    }

const runFile = promisify(execFile)
const SS_TIMEOUT_MS = 5_000

/**
 * Describes the peer of a connection. Node has no SO_PEERCRED, so for a unix socket the peer
 * process is found through the socket inodes that `ss -xp` (iproute2) lists. The line of this
 * socket names its peer's inode, and the peer's line names the process that has it open.
 * NOTE: the lookup needs `ss` and, for processes of other users, root. It finds nothing when
 * the peer lives in another network namespace or closed the connection first; uid and pid
 * are then null.
 */
export async function describeCaller(socket: Socket): Promise<AuditCaller> {
  if (socket.remoteAddress !== undefined) {
    return {
      transport: 'tcp',
      address: socket.remoteAddress,
      port: socket.remotePort ?? 0,
      tlsSubject: socket instanceof TLSSocket ? certificateSubject(socket) : null,
    }
  }
  const pid = await findUnixPeerPid(socket).catch(() => null)
  const uid = pid === null ? null : await stat(`/proc/${pid}`).then((s) => s.uid, () => null)
  return { transport: 'unix', uid, pid: uid === null ? null : pid }
}

function certificateSubject(socket: TLSSocket): string | null {
  // The subject of a certificate that failed verification is whatever the client chose.
  if (!socket.authorized) return null
  const subject = socket.getPeerCertificate()?.subject
  if (!subject || Object.keys(subject).length === 0) return null
  return Object.entries(subject)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(',')
}

async function findUnixPeerPid(socket: Socket): Promise<number | null> {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd
  if (fd === undefined || fd < 0) return null
  const inode = (await stat(`/proc/self/fd/${fd}`)).ino
  const sockets = await listUnixSockets()
  const peerInode = sockets.get(inode)?.peerInode
  if (peerInode === undefined) return null
  return sockets.get(peerInode)?.pid ?? null
}

let listing: Promise<Map<number, UnixSocketEntry>> | undefined
let nextListing: Promise<Map<number, UnixSocketEntry>> | undefined

/**
 * Lists the unix sockets with one `ss` run shared by every caller that asks while it is
 * pending, so that many starts at once do not start one process each. A run already going
 * may predate the caller's socket, so later callers share the run that follows it.
 */
function listUnixSockets(): Promise<Map<number, UnixSocketEntry>> {
  if (listing === undefined) {
    listing = runFile('ss', ['-x', '-p', '-n', '-H'], { timeout: SS_TIMEOUT_MS })
      .then(({ stdout }) => parseUnixSockets(stdout))
      .finally(() => (listing = undefined))
    return listing
  }
  nextListing ??= listing
    .catch(() => undefined)
    .then(() => {
      nextListing = undefined
      return listUnixSockets()
    })
  return nextListing
}

/**
 * A unix socket as `ss` lists it: the inode of its peer, and the first process that has the
 * socket open.
 */
export interface UnixSocketEntry {
  peerInode: number
  pid: number | null
}

/**
 * Parses `ss -x -p -n -H` lines (`u_str ESTAB 0 0 /path 123 * 124 users:(("docker",pid=7,fd=3))`)
 * into a map from a socket's inode to its peer's inode and the first process holding it.
 */
export function parseUnixSockets(text: string): Map<number, UnixSocketEntry> {
  const sockets = new Map<number, UnixSocketEntry>()
  // The local address may contain spaces, so the fields are matched from the end of the line.
  const line = /^\S+\s+\S+\s+\d+\s+\d+\s+.*?\s(\d+)\s+\S+\s+(\d+)(?:\s+(.*))?$/
  for (const row of text.split('\n')) {
    const match = line.exec(row.trim())
    if (!match) continue
    const pid = /pid=(\d+)/.exec(match[3] ?? '')
    sockets.set(Number(match[1]), { peerInode: Number(match[2]), pid: pid ? Number(pid[1]) : null })
  }
  return sockets
}
