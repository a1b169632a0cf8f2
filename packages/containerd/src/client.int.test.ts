import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'

import { createContainer, startContainerd, type ContainerdInstance } from '@dexec/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ContainerdClient, ContainerdError, createFifoSet, type OciProcess } from './index.js'

let containerd: ContainerdInstance
let client: ContainerdClient
let fifoDir: string

beforeAll(async () => {
  containerd = await startContainerd()
  await createContainer(containerd, { id: 'box' })
  client = new ContainerdClient({ address: containerd.address, namespace: 'default' })
  fifoDir = await mkdtemp(join(tmpdir(), 'dexec-fifo-'))
})

afterAll(async () => {
  client?.close()
  await containerd?.stop()
  if (fifoDir) await rm(fifoDir, { recursive: true, force: true })
})

function collect(stream: Readable | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream!.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream!.on('end', () => resolve(Buffer.concat(chunks).toString()))
    stream!.on('error', reject)
  })
}

async function processFor(args: string[], extra: Partial<OciProcess> = {}): Promise<OciProcess> {
  const container = await client.getContainer('box')
  return { ...container.spec!.process!, args, ...extra }
}

describe('ContainerdClient', () => {
  it('returns the server version', async () => {
    const version = await client.version()
    expect(version.version).toMatch(/\d+\.\d+/)
  })

  it('gets a container with its spec', async () => {
    const container = await client.getContainer('box')
    expect(container.id).toBe('box')
    expect(container.spec?.process?.cwd).toBe('/')
  })

  it('maps a missing container to NOT_FOUND', async () => {
    const error = await client.getContainer('nosuch').catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ContainerdError)
    expect((error as ContainerdError).code).toBe('NOT_FOUND')
    expect((error as ContainerdError).operation).toBe('Containers.Get')
  })

  it('reports the task as running', async () => {
    const task = await client.getProcess('box')
    expect(task.status).toBe('running')
    expect(task.pid).toBeGreaterThan(0)
  })

  it('runs an exec with FIFO stdio and returns its exit code', async () => {
    const execId = randomBytes(8).toString('hex')
    const fifos = await createFifoSet({ directory: fifoDir, id: execId, stdin: true, stdout: true, stderr: true })
    const process = await processFor(['sh', '-c', 'cat; echo err >&2; exit 7'])
    await client.execProcess({ containerId: 'box', execId, process, terminal: false, ...fifos.paths })
    const stdout = collect(fifos.stdout)
    const stderr = collect(fifos.stderr)
    const exit = client.waitProcess('box', execId)
    const pid = await client.startProcess('box', execId)
    expect(pid).toBeGreaterThan(0)
    // The shim keeps a write end of the stdin FIFO open too, so EOF needs CloseIO.
    await new Promise<void>((resolve) => fifos.stdin!.end('from stdin', resolve))
    await client.closeStdin('box', execId)
    expect(await stdout).toBe('from stdin')
    expect(await stderr).toBe('err\n')
    expect((await exit).code).toBe(7)
    await client.deleteProcess('box', execId)
    await fifos.close()
    expect(await readdir(fifoDir)).toEqual([])
  })

  it('gives a terminal exec its console size from the start', async () => {
    const execId = randomBytes(8).toString('hex')
    const fifos = await createFifoSet({ directory: fifoDir, id: execId, stdin: true, stdout: true, stderr: false })
    const process = await processFor(['stty', 'size'], { terminal: true, consoleSize: { height: 33, width: 77 } })
    await client.execProcess({ containerId: 'box', execId, process, terminal: true, ...fifos.paths })
    const stdout = collect(fifos.stdout)
    const exit = client.waitProcess('box', execId)
    await client.startProcess('box', execId)
    expect((await exit).code).toBe(0)
    expect(await stdout).toBe('33 77\r\n')
    await client.deleteProcess('box', execId)
    await fifos.close()
  })

  it('streams the exit event of an exec', async () => {
    const controller = new AbortController()
    const events = client.subscribe(['topic=="/tasks/exit"'], controller.signal)[Symbol.asyncIterator]()
    const execId = randomBytes(8).toString('hex')
    const process = await processFor(['sh', '-c', 'exit 5'])
    const next = events.next()
    await client.execProcess({ containerId: 'box', execId, process, terminal: false })
    await client.startProcess('box', execId)
    const { value: event } = await next
    controller.abort()
    expect(event.topic).toBe('/tasks/exit')
    expect(event.type).toBe('containerd.events.TaskExit')
    expect(event.namespace).toBe('default')
    expect(event.payload).toMatchObject({ container_id: 'box', id: execId, exit_status: 5 })
    expect(await events.next()).toEqual({ done: true, value: undefined })
    await client.deleteProcess('box', execId)
  })

  it('reports a failed exec start with runc\'s message', async () => {
    const execId = randomBytes(8).toString('hex')
    const process = await processFor(['/nonexistent'])
    await client.execProcess({ containerId: 'box', execId, process, terminal: false })
    const error = await client.startProcess('box', execId).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ContainerdError)
    expect((error as ContainerdError).operation).toBe('Tasks.Start')
    expect((error as ContainerdError).message).toContain('stat /nonexistent: no such file or directory')
    await client.deleteProcess('box', execId)
  })

  it('lists the task processes with their exec ids', async () => {
    const execId = randomBytes(8).toString('hex')
    const process = await processFor(['sleep', '30'])
    await client.execProcess({ containerId: 'box', execId, process, terminal: false })
    const pid = await client.startProcess('box', execId)
    const processes = await client.listPids('box')
    await client.killProcess('box', execId, 9)
    await client.waitProcess('box', execId)
    await client.deleteProcess('box', execId)
    const task = await client.getProcess('box')
    expect(processes).toContainEqual({ pid, execId })
    expect(processes).toContainEqual({ pid: task.pid, execId: undefined })
    expect(processes).toHaveLength(2)
  })

  it('fails with UNAVAILABLE when the socket does not exist', async () => {
    const missing = new ContainerdClient({ address: join(fifoDir, 'missing.sock'), namespace: 'default', callTimeoutMs: 2000 })
    const error = await missing.version().catch((err: unknown) => err)
    missing.close()
    expect((error as ContainerdError).code).toBe('UNAVAILABLE')
  })
})
