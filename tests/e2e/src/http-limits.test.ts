import { connect } from 'node:net'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { startServer, type DexecServer } from '@dexec/server'
import { createContainer, startContainerd, type ContainerdInstance } from '@dexec/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createExec, inspectExec } from './exec-api.js'
import { hijackStart, readMultiplexed } from './hijack.js'
import { api } from './http.js'

const HEADERS_TIMEOUT_MS = 1_000

let containerd: ContainerdInstance
let server: DexecServer
let socketPath: string

beforeAll(async () => {
  containerd = await startContainerd()
  await createContainer(containerd, { id: 'demo' })
  socketPath = join(containerd.directory, 'limits.sock')
  server = await startServer({
    containerd: containerd.address,
    namespace: 'default',
    host: `unix://${socketPath}`,
    stateDir: join(containerd.directory, 'dexec-state'),
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
  })
})

afterAll(async () => {
  await server?.close()
  await containerd?.stop()
})

/** Writes `data` on a new connection and reads until the server closes it. */
function exchange(data: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()))
    socket.on('error', reject)
    socket.write(data)
  })
}

function statusLine(response: string): string {
  return response.slice(0, response.indexOf('\r\n'))
}

function upgradeRequest(path: string, body: string): string {
  return [
    `POST ${path} HTTP/1.1`, 'Host: dexec', 'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: Upgrade', 'Upgrade: tcp', '', body,
  ].join('\r\n')
}

describe('e2e, HTTP limits', () => {
  it('closes a client that sends its headers one byte per second', async () => {
    const socket = connect(socketPath)
    const started = Date.now()
    const request = 'GET /_ping HTTP/1.1\r\nHost: dexec\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n'
    let sent = 0
    const timer = setInterval(() => {
      if (sent < request.length && !socket.destroyed) socket.write(request[sent++]!)
    }, 1_000)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('close', resolve))
    clearInterval(timer)
    const elapsed = Date.now() - started
    expect(sent).toBeLessThan(request.length)
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT_MS + 2_000)
    expect(statusLine(Buffer.concat(chunks).toString())).toBe('HTTP/1.1 408 Request Timeout')
    expect(Buffer.concat(chunks).toString().endsWith('\r\n\r\n{"message":"request headers did not arrive in time"}\n')).toBe(true)
  })

  it('answers 431 to headers over 16 KiB', async () => {
    const response = await exchange(`GET /_ping HTTP/1.1\r\nHost: dexec\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`)
    expect(statusLine(response)).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(response.endsWith('\r\n\r\n{"message":"request headers are larger than the limit"}\n')).toBe(true)
  })

  it('answers 414 to a path over 8 KiB', async () => {
    const response = await api(socketPath, 'GET', `/_ping?${'a'.repeat(8_200)}`)
    expect(response.status).toBe(414)
    expect(response.body).toBe('{"message":"request target is longer than 8192 bytes"}\n')
  })

  it('answers 414 to a path over 8 KiB on an upgrade request', async () => {
    const response = await exchange(upgradeRequest(`/exec/x/start?${'a'.repeat(8_200)}`, '{}'))
    expect(statusLine(response)).toBe('HTTP/1.1 414 URI Too Long')
    expect(response.endsWith('{"message":"request target is longer than 8192 bytes"}\n')).toBe(true)
  })

  it('answers 413 to a body over 1 MiB', async () => {
    const body = JSON.stringify({ Cmd: ['echo', 'a'.repeat(1_048_576)] })
    const response = await api(socketPath, 'POST', '/containers/demo/exec', body, { 'Content-Type': 'application/json' })
    expect(response.status).toBe(413)
  })

  it('answers 413 to a body over 1 MiB on an upgrade request', async () => {
    const body = JSON.stringify({ Detach: false, pad: 'a'.repeat(1_048_576) })
    const started = Date.now()
    const response = await exchange(upgradeRequest('/exec/x/start', body))
    expect(statusLine(response)).toBe('HTTP/1.1 413 Payload Too Large')
    // The server closes the connection itself although the client never does.
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('answers 400 to 100,000 nested arrays without stalling', async () => {
    const depth = 100_000
    const body = `{"Cmd":${'['.repeat(depth)}${']'.repeat(depth)}}`
    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const started = Date.now()
    const response = await api(socketPath, 'POST', '/containers/demo/exec', body, { 'Content-Type': 'application/json' })
    const elapsed = Date.now() - started
    delay.disable()
    const maxDelayMs = delay.max / 1e6
    console.log(`nested arrays: ${elapsed} ms, max event loop delay ${maxDelayMs.toFixed(1)} ms`)
    expect(response.status).toBe(400)
    expect(elapsed).toBeLessThan(2_000)
    expect(maxDelayMs).toBeLessThan(200)
  })

  it('keeps an attached exec idle for 3 s past the headers timeout', async () => {
    const id = await createExec(socketPath, 'demo', {
      AttachStdin: true, AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', 'sleep 3; echo awake'],
    })
    const hijacked = await hijackStart(socketPath, id)
    const output = await readMultiplexed(hijacked)
    hijacked.socket.destroy()
    expect(output.stdout).toBe('awake\n')
    expect((await inspectExec(socketPath, id)).ExitCode).toBe(0)
  })
})
