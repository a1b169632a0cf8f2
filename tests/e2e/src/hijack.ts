import { connect, type Socket } from 'node:net'
import { Writable } from 'node:stream'

import { StdcopyDemuxer } from '@dexec/stream'

/** An attached exec start: the response head and the connection, now carrying the stream. */
export interface Hijacked {
  status: number
  headers: Record<string, string>
  socket: Socket
  /** Bytes of the stream that came with the response head. */
  initial: Buffer
}

/**
 * Sends POST /exec/{id}/start with Upgrade headers and reads the response head.
 * `target` is a unix socket path or a function that opens the connection (TLS, TCP).
 */
export function hijackStart(
  target: string | (() => Socket),
  execId: string,
  body: object = {},
): Promise<Hijacked> {
  const payload = JSON.stringify(body)
  const request = [
    `POST /v1.45/exec/${execId}/start HTTP/1.1`,
    'Host: dexec',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(payload)}`,
    'Connection: Upgrade',
    'Upgrade: tcp',
    '',
    payload,
  ].join('\r\n')
  return new Promise((resolve, reject) => {
    const socket = typeof target === 'string' ? connect(target) : target()
    let buffered = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.off('data', onData)
      socket.pause()
      const lines = buffered.subarray(0, end).toString().split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      const status = Number(lines[0]!.split(' ')[1])
      if (status !== 101) {
        socket.destroy()
        reject(new Error(`exec start answered ${lines[0]}: ${buffered.subarray(end + 4).toString()}`))
        return
      }
      resolve({ status, headers, socket, initial: buffered.subarray(end + 4) })
    }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.write(request)
  })
}

/** Reads the rest of a multiplexed stream and returns stdout and stderr as text. */
export async function readMultiplexed(hijacked: Hijacked): Promise<{ stdout: string; stderr: string }> {
  const out: Buffer[] = []
  const err: Buffer[] = []
  const collect = (chunks: Buffer[]) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk)
        callback()
      },
    })
  const demuxer = new StdcopyDemuxer({ stdout: collect(out), stderr: collect(err) })
  demuxer.write(hijacked.initial)
  await new Promise<void>((resolve, reject) => {
    hijacked.socket.pipe(demuxer)
    demuxer.once('finish', resolve)
    demuxer.once('error', reject)
    hijacked.socket.resume()
  })
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }
}

/** Reads the rest of a raw stream. */
export async function readRaw(hijacked: Hijacked): Promise<Buffer> {
  const chunks: Buffer[] = [hijacked.initial]
  hijacked.socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  await new Promise<void>((resolve) => {
    hijacked.socket.once('end', resolve)
    hijacked.socket.resume()
  })
  return Buffer.concat(chunks)
}
