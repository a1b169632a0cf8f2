import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { connect as tcpConnect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect as tlsConnect } from 'node:tls'
import { fileURLToPath } from 'node:url'

import { startServer, type DexecServer } from '@dexec/server'
import { createContainer, startContainerd, type ContainerdInstance } from '@dexec/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { makeCertificates, type TestCertificates } from './certs.js'
import { hijackStart, readMultiplexed } from './hijack.js'

// Debian and Ubuntu have the group `staff` with gid 50; elsewhere the group tests are skipped.
const hasStaff50 = /^staff:[^:]*:50:/m.test(readFileSync('/etc/group', 'utf8'))

let containerd: ContainerdInstance
let certs: TestCertificates
let certDirectory: string

beforeAll(async () => {
  containerd = await startContainerd()
  await createContainer(containerd, { id: 'demo' })
  certDirectory = await mkdtemp(join(tmpdir(), 'dexec-certs-'))
  certs = await makeCertificates(certDirectory)
})

afterAll(async () => {
  await containerd?.stop()
  if (certDirectory) await rm(certDirectory, { recursive: true, force: true })
})

function serve(name: string, extra: Partial<Parameters<typeof startServer>[0]> = {}) {
  return startServer({
    containerd: containerd.address,
    namespace: 'default',
    host: `unix://${join(containerd.directory, `${name}.sock`)}`,
    stateDir: join(containerd.directory, `${name}-state`),
    ...extra,
  })
}

describe('e2e, unix socket permissions', () => {
  it('creates the socket with mode 0660', async () => {
    const server = await serve('mode')
    const path = server.address.slice('unix://'.length)
    const mode = (await stat(path)).mode & 0o777
    await server.close()
    expect(mode.toString(8)).toBe('660')
  })

  it('restores the process umask after listening', async () => {
    const before = process.umask()
    const server = await serve('umask')
    const after = process.umask()
    await server.close()
    expect(after).toBe(before)
  })

  it.runIf(hasStaff50).each([['50'], ['staff']])('gives the socket to group %s', async (group) => {
    const server = await serve(`group-${group}`, { socketGroup: group })
    const stats = await stat(server.address.slice('unix://'.length))
    await server.close()
    expect(stats.gid).toBe(50)
    expect((stats.mode & 0o777).toString(8)).toBe('660')
  })

  it('rejects an unknown group before listening', async () => {
    await expect(serve('bad-group', { socketGroup: 'no-such-group-x' })).rejects.toThrow(
      'unknown group no-such-group-x: it is not in /etc/group',
    )
  })
})

describe('e2e, TCP without TLS', () => {
  it('rejects a non-loopback address before binding', async () => {
    await expect(serve('public', { host: 'tcp://0.0.0.0:0' })).rejects.toThrow(
      'cannot listen on tcp://0.0.0.0:0 without TLS',
    )
  })
})

describe('e2e, TCP on loopback', () => {
  it('kills the process within 1 s when the client resets the connection', async () => {
    const tcp = await serve('reset-tcp', { host: 'tcp://127.0.0.1:0' })
    try {
      const base = `http://${tcp.address.slice('tcp://'.length)}/v1.45`
      const created = await fetch(`${base}/containers/demo/exec`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ AttachStdout: true, Cmd: ['sleep', '300'] }),
      })
      const { Id: id } = (await created.json()) as { Id: string }
      const inspect = async () => (await (await fetch(`${base}/exec/${id}/json`)).json()) as { Running: boolean; Pid: number; ExitCode: number }
      const port = Number(tcp.address.split(':').at(-1))
      const hijacked = await hijackStart(() => tcpConnect(port, '127.0.0.1'), id)
      while ((await inspect()).Pid === 0) await sleep(20)
      hijacked.socket.resetAndDestroy()
      const reset = Date.now()
      while ((await inspect()).Running && Date.now() - reset < 3_000) await sleep(20)
      expect(Date.now() - reset).toBeLessThan(1_000)
      expect((await inspect()).ExitCode).toBe(137)
    } finally {
      await tcp.close()
    }
  })
})

describe('e2e, TLS with client certificates', () => {
  let server: DexecServer
  let port: number

  beforeAll(async () => {
    server = await serve('tls', {
      host: 'tcp://127.0.0.1:0',
      tls: { caFile: certs.caFile, certFile: certs.serverCert, keyFile: certs.serverKey },
    })
    port = Number(server.address.split(':').at(-1))
  })

  afterAll(async () => {
    await server?.close()
  })

  function clientOptions(cert?: string, key?: string) {
    return {
      host: '127.0.0.1',
      port,
      ca: readFileSync(certs.caFile),
      ...(cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : {}),
    }
  }

  function tlsRequest(method: string, path: string, body?: string, cert?: string, key?: string) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers = body ? { 'Content-Type': 'application/json' } : {}
      const req = request({ ...clientOptions(cert, key), method, path, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  it('answers /_ping to a client with a certificate of the CA', async () => {
    const response = await tlsRequest('GET', '/_ping', undefined, certs.clientCert, certs.clientKey)
    expect(response.status).toBe(200)
    expect(response.body).toBe('OK')
  })

  it('runs an attached exec over TLS', async () => {
    const config = { AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', 'echo over tls; exit 3'] }
    const created = await tlsRequest(
      'POST', '/v1.45/containers/demo/exec', JSON.stringify(config), certs.clientCert, certs.clientKey,
    )
    expect(created.status).toBe(201)
    const id = (JSON.parse(created.body) as { Id: string }).Id
    const hijacked = await hijackStart(() => tlsConnect(clientOptions(certs.clientCert, certs.clientKey)), id)
    const output = await readMultiplexed(hijacked)
    hijacked.socket.destroy()
    expect(output.stdout).toBe('over tls\n')
    const inspect = await tlsRequest('GET', `/v1.45/exec/${id}/json`, undefined, certs.clientCert, certs.clientKey)
    expect((JSON.parse(inspect.body) as { ExitCode: number }).ExitCode).toBe(3)
  })

  it('rejects a client without a certificate', async () => {
    await expect(tlsRequest('GET', '/_ping')).rejects.toThrow(/certificate required|ECONNRESET|socket hang up/)
  })

  it('rejects a client certificate of another CA', async () => {
    await expect(tlsRequest('GET', '/_ping', undefined, certs.strangerCert, certs.strangerKey)).rejects.toThrow(
      /unknown ca|ECONNRESET|socket hang up/,
    )
  })
})

const cliPath = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url))

/** Runs `dexec serve` until it logs its address or exits; returns the address or the exit code and stderr. */
function serveCli(args: string[]) {
  const child = spawn(cliPath, ['serve', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  const started = new Promise<{ address?: string; exitCode?: number | null; stderr: string }>((resolve) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = /"address":"([^"]+)"/.exec(stderr)
      if (match) resolve({ address: match[1], stderr })
    })
    child.once('exit', (code) => resolve({ exitCode: code, stderr }))
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  return { started, stop }
}

describe('e2e, dexec serve listen flags', () => {
  const common = () => ['--containerd', containerd.address, '--state-dir', join(containerd.directory, 'cli-state')]

  it('exits 125 for a public TCP address without --tlsverify', async () => {
    const cli = serveCli([...common(), '--host', 'tcp://0.0.0.0:2375'])
    const result = await cli.started
    expect(result.exitCode).toBe(125)
    expect(result.stderr).toContain('cannot listen on tcp://0.0.0.0:2375 without TLS')
  })

  it('serves HTTPS with client certificates from the TLS flags', async () => {
    const cli = serveCli([
      ...common(), '--host', 'tcp://127.0.0.1:0', '--tlsverify',
      '--tlscacert', certs.caFile, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey,
    ])
    try {
      const { address } = await cli.started
      expect(address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
      const port = Number(address!.split(':').at(-1))
      const status = await new Promise<number>((resolve, reject) => {
        const options = {
          host: '127.0.0.1', port, path: '/_ping',
          ca: readFileSync(certs.caFile), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey),
        }
        request(options, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        }).on('error', reject).end()
      })
      expect(status).toBe(200)
    } finally {
      await cli.stop()
    }
  })

  it.runIf(hasStaff50)('gives the socket to the --group', async () => {
    const socketPath = join(containerd.directory, 'cli-group.sock')
    const cli = serveCli([...common(), '--host', `unix://${socketPath}`, '--group', 'staff'])
    try {
      const { address } = await cli.started
      expect(address).toBe(`unix://${socketPath}`)
      const stats = await stat(socketPath)
      expect(stats.gid).toBe(50)
      expect((stats.mode & 0o777).toString(8)).toBe('660')
    } finally {
      await cli.stop()
    }
  })
})
