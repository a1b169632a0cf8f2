import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { describeCaller, parseUnixSockets } from './caller.js'

const run = promisify(execFile)
let directory: string

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexec-caller-'))
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

/** Creates a CA, a server certificate and a client certificate signed by the CA. */
async function makeCertificates(clientSubject: string) {
  const file = (name: string) => join(directory, name)
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await run('openssl', ['req', '-x509', ...key, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-subj', '/CN=test-ca', '-days', '1'])
  await run('openssl', ['req', '-x509', ...key, '-keyout', file('server.key'), '-out', file('server.crt'), '-subj', '/CN=localhost', '-days', '1'])
  await run('openssl', ['req', ...key, '-keyout', file('client.key'), '-out', file('client.csr'), '-subj', clientSubject])
  await run('openssl', [
    'x509', '-req', '-in', file('client.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-out', file('client.crt'), '-days', '1',
  ])
  const read = (name: string) => readFile(file(name))
  return {
    ca: await read('ca.crt'),
    server: { key: await read('server.key'), cert: await read('server.crt') },
    client: { key: await read('client.key'), cert: await read('client.crt') },
  }
}

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10))
}

describe('parseUnixSockets', () => {
  it('maps each inode to its peer and process', () => {
    const text = [
      'u_str ESTAB 0 0 /run/dexec.sock 3088967 * 3088966 users:(("node",pid=18351,fd=21))',
      'u_str ESTAB 0 0 * 3088966 * 3088967 users:(("docker",pid=4242,fd=3),("docker",pid=4243,fd=3))',
      'u_str ESTAB 0 0 /tmp/with space.sock 77 * 78',
      'not a socket line',
    ].join('\n')
    expect([...parseUnixSockets(text)]).toEqual([
      [3088967, { peerInode: 3088966, pid: 18351 }],
      [3088966, { peerInode: 3088967, pid: 4242 }],
      [77, { peerInode: 78, pid: null }],
    ])
  })
})

describe('describeCaller', () => {
  it('finds the pid and uid of a unix socket peer', async () => {
    const path = join(directory, 'peer.sock')
    const server = createServer()
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
    await new Promise<void>((resolve) => server.listen(path, resolve))
    const client = connect(path)
    const caller = await describeCaller(await accepted)
    client.destroy()
    server.close()
    expect(caller).toEqual({ transport: 'unix', uid: process.getuid!(), pid: process.pid })
  })

  it('finds the peers of many sockets at once', async () => {
    const path = join(directory, 'many.sock')
    const accepted: Socket[] = []
    const server = createServer((socket) => accepted.push(socket))
    await new Promise<void>((resolve) => server.listen(path, resolve))
    const clients = Array.from({ length: 12 }, () => connect(path))
    await waitUntil(() => accepted.length === clients.length)
    const callers = await Promise.all(accepted.map((socket) => describeCaller(socket)))
    for (const client of clients) client.destroy()
    server.close()
    const found = callers.filter((caller) => caller.transport === 'unix' && caller.pid === process.pid)
    expect(found).toHaveLength(12)
  })

  it('gives the address and port of a TCP peer', async () => {
    const server = createServer()
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
    await new Promise((resolve) => client.once('connect', resolve))
    const caller = await describeCaller(await accepted)
    const port = client.localPort
    client.destroy()
    server.close()
    expect(caller).toEqual({ transport: 'tcp', address: '127.0.0.1', port, tlsSubject: null })
  })

  it('gives the subject of a verified TLS client certificate', async () => {
    const certificates = await makeCertificates('/CN=alice/O=dexec')
    const server = createTlsServer({ ...certificates.server, ca: certificates.ca, requestCert: true, rejectUnauthorized: true })
    const accepted = new Promise<TLSSocket>((resolve) => server.once('secureConnection', resolve))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const client = tlsConnect({ port, host: '127.0.0.1', ...certificates.client, rejectUnauthorized: false })
    const caller = await describeCaller(await accepted)
    client.destroy()
    server.close()
    expect(caller).toMatchObject({ transport: 'tcp', address: '127.0.0.1', tlsSubject: 'CN=alice,O=dexec' })
  })
})
