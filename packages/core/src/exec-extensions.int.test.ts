import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { ContainerdClient } from '@dexec/containerd'
import type { ExecPersistence, ExecSnapshot } from '@dexec/exec-store'
import { createContainer, startContainerd, waitFor, type ContainerdInstance } from '@dexec/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { DockerEvent } from './events.js'
import { ExecService, type CreateExecRequest } from './exec-service.js'

let containerd: ContainerdInstance
let client: ContainerdClient
let service: ExecService
let stateDir: string
const events: DockerEvent[] = []

beforeAll(async () => {
  containerd = await startContainerd()
  await createContainer(containerd, { id: 'box' })
  await createContainer(containerd, { id: 'other' })
  client = new ContainerdClient({ address: containerd.address, namespace: 'default' })
  stateDir = await mkdtemp(join(tmpdir(), 'dexec-state-'))
  service = new ExecService({ client, stateDir, execTimeoutGraceSeconds: 1 })
  await service.open()
  service.events.subscribe((event) => events.push(event))
})

afterAll(async () => {
  service?.close()
  client?.close()
  await containerd?.stop()
  if (stateDir) await rm(stateDir, { recursive: true, force: true })
})

function request(overrides: Partial<CreateExecRequest>): CreateExecRequest {
  return {
    Cmd: null,
    Env: null,
    User: '',
    WorkingDir: '',
    Tty: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Privileged: false,
    DetachKeys: '',
    ConsoleSize: null,
    ...overrides,
  }
}

function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  return waitFor(check, { timeoutMs, intervalMs: 20, what: 'the exec state' })
}

async function startDetached(container: string, overrides: Partial<CreateExecRequest>): Promise<string> {
  const id = await service.createExec(container, request(overrides))
  await service.startDetached(id, { Tty: false, ConsoleSize: null })
  return id
}

function diesOf(id: string): DockerEvent[] {
  return events.filter((event) => event.Action === 'exec_die' && event.Actor.Attributes.execID === id)
}

describe('ExecService.killExec', () => {
  it('ends sleep with 143 on SIGTERM', async () => {
    const id = await startDetached('box', { Cmd: ['sleep', '300'] })
    await service.killExec(id, 'SIGTERM')
    await until(() => !service.inspectExec(id).Running)
    expect(service.inspectExec(id).ExitCode).toBe(143)
    await sleep(200)
    expect(diesOf(id).map((event) => event.Actor.Attributes.exitCode)).toEqual(['143'])
  })

  it('marks the exec_die of a killed exec with killed=true', async () => {
    const id = await startDetached('box', { Cmd: ['sleep', '300'] })
    await service.killExec(id, 'TERM')
    await until(() => !service.inspectExec(id).Running)
    await sleep(200)
    expect(diesOf(id).map((event) => event.Actor.Attributes.killed)).toEqual(['true'])
  })

  it('leaves killed out of the exec_die of an exec that ended by itself', async () => {
    const id = await startDetached('box', { Cmd: ['true'] })
    await until(() => !service.inspectExec(id).Running)
    await sleep(200)
    expect(diesOf(id)[0]?.Actor.Attributes).not.toHaveProperty('killed')
  })

  it('sends SIGKILL by default', async () => {
    const id = await startDetached('box', { Cmd: ['sh', '-c', 'trap "" TERM; sleep 300'] })
    await service.killExec(id)
    await until(() => !service.inspectExec(id).Running)
    expect(service.inspectExec(id).ExitCode).toBe(137)
  })

  it('rejects an unknown exec', async () => {
    await expect(service.killExec('nope', 'TERM')).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      message: 'No such exec instance: nope',
    })
  })

  it('rejects an exec that was never started', async () => {
    const id = await service.createExec('box', request({ Cmd: ['true'] }))
    await expect(service.killExec(id, '15')).rejects.toMatchObject({
      kind: 'CONFLICT',
      message: `exec ${id} is not running`,
    })
  })

  it('rejects an exec that has exited', async () => {
    const id = await startDetached('box', { Cmd: ['true'] })
    await until(() => !service.inspectExec(id).Running)
    await expect(service.killExec(id, 'TERM')).rejects.toMatchObject({ kind: 'CONFLICT' })
  })

  it('rejects an unknown signal', async () => {
    const id = await startDetached('box', { Cmd: ['sleep', '300'] })
    await expect(service.killExec(id, 'SIGNOPE')).rejects.toMatchObject({
      kind: 'INVALID_PARAMETER',
      message: expect.stringContaining('invalid signal: SIGNOPE'),
    })
    await service.killExec(id, 'KILL')
  })
})

describe('ExecService deadlines', () => {
  it('stops an exec with SIGTERM at its Timeout', async () => {
    const started = Date.now()
    const id = await startDetached('box', { Cmd: ['sleep', '300'], Timeout: 1 })
    await until(() => !service.inspectExec(id).Running, 4_000)
    const elapsedMs = Date.now() - started
    const inspect = service.inspectExec(id)
    expect(inspect.ExitCode).toBe(143)
    expect(inspect.TimedOut).toBe(true)
    expect(elapsedMs).toBeGreaterThanOrEqual(1_000)
    await sleep(200)
    const dies = diesOf(id)
    expect(dies).toHaveLength(1)
    expect(dies[0]?.Actor.Attributes.timedOut).toBe('true')
    expect(dies[0]?.Actor.Attributes.exitCode).toBe('143')
  })

  it('kills a process that ignores SIGTERM after the grace', async () => {
    const started = Date.now()
    const id = await startDetached('box', { Cmd: ['sh', '-c', 'trap "" TERM; sleep 300'], Timeout: 1 })
    await until(() => !service.inspectExec(id).Running, 5_000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000)
    expect(service.inspectExec(id)).toMatchObject({ ExitCode: 137, TimedOut: true })
  })

  it('leaves a process that ends in time alone', async () => {
    const id = await startDetached('box', { Cmd: ['sh', '-c', 'exit 2'], Timeout: 5 })
    await until(() => !service.inspectExec(id).Running)
    expect(service.inspectExec(id)).toMatchObject({ ExitCode: 2, TimedOut: false })
    expect(diesOf(id)[0]?.Actor.Attributes).not.toHaveProperty('timedOut')
  })

  it('applies the service default when the request sets none', async () => {
    const fast = new ExecService({ client, stateDir: join(stateDir, 'fast'), execTimeoutSeconds: 1 })
    await fast.open()
    const id = await fast.createExec('box', request({ Cmd: ['sleep', '300'] }))
    await fast.startDetached(id, { Tty: false, ConsoleSize: null })
    await until(() => !fast.inspectExec(id).Running, 4_000)
    expect(fast.inspectExec(id)).toMatchObject({ ExitCode: 143, TimedOut: true })
    fast.close()
  })
})

describe('ExecService.listExecs', () => {
  it('filters by container, running and since', async () => {
    const since = new Date(Date.now() - 1)
    const boxRunning = await startDetached('box', { Cmd: ['sleep', '300'] })
    const boxDone = await startDetached('box', { Cmd: ['true'] })
    const otherCreated = await service.createExec('other', request({ Cmd: ['true'] }))
    await until(() => !service.inspectExec(boxDone).Running)
    const ids = async (filter: Parameters<ExecService['listExecs']>[0]) =>
      (await service.listExecs({ since, ...filter })).map((inspect) => inspect.ID)

    expect(await ids({})).toEqual([boxRunning, boxDone, otherCreated])
    expect(await ids({ container: 'box' })).toEqual([boxRunning, boxDone])
    expect(await ids({ container: 'oth' })).toEqual([otherCreated])
    expect(await ids({ running: true })).toEqual([boxRunning])
    expect(await ids({ running: false, container: 'other' })).toEqual([otherCreated])
    expect(await ids({ container: 'missing' })).toEqual([])
    expect(await ids({ since: new Date(Date.now() + 60_000) })).toEqual([])
    await service.killExec(boxRunning)
  })

  it('renders the same fields as inspect', async () => {
    const id = await startDetached('box', { Cmd: ['true'] })
    await until(() => !service.inspectExec(id).Running)
    const listed = (await service.listExecs({})).find((inspect) => inspect.ID === id)
    expect(listed).toEqual(service.inspectExec(id))
  })
})

/** Keeps snapshots in a Map, as a durable store would keep them in a file. */
class MemoryPersistence implements ExecPersistence {
  readonly rows = new Map<string, ExecSnapshot>()

  loadAll(): ExecSnapshot[] {
    return [...this.rows.values()]
  }

  save(snapshot: ExecSnapshot): void {
    this.rows.set(snapshot.id, snapshot)
  }

  delete(id: string): void {
    this.rows.delete(id)
  }
}

describe('ExecService persistence', () => {
  it('saves every change and restores the records', async () => {
    const persistence = new MemoryPersistence()
    const first = new ExecService({ client, stateDir: join(stateDir, 'first'), persistence })
    await first.open()
    const done = await first.createExec('box', request({ Cmd: ['sh', '-c', 'exit 6'] }))
    const idle = await first.createExec('box', request({ Cmd: ['true'] }))
    await first.startDetached(done, { Tty: false, ConsoleSize: null })
    await until(() => !first.inspectExec(done).Running)
    first.close()
    expect(persistence.rows.get(done)?.exitCode).toBe(6)

    const second = new ExecService({ client, stateDir: join(stateDir, 'second'), persistence })
    await second.open()
    expect(second.inspectExec(done)).toEqual(first.inspectExec(done))
    expect(second.store.execIdsOf('box')).toContain(idle)
    expect(second.store.execIdsOf('box')).not.toContain(done)
    second.close()
  })

  it('drops restored records of a removed container', async () => {
    const persistence = new MemoryPersistence()
    const gone = await createContainer(containerd, { id: 'gone' })
    const first = new ExecService({ client, stateDir: join(stateDir, 'gone-1'), persistence })
    await first.open()
    const id = await first.createExec('gone', request({ Cmd: ['true'] }))
    first.close()
    await gone.remove()
    expect(persistence.rows.has(id)).toBe(true)

    const second = new ExecService({ client, stateDir: join(stateDir, 'gone-2'), persistence })
    await second.open()
    await until(() => second.store.get(id) === undefined)
    expect(persistence.rows.has(id)).toBe(false)
    second.close()
  })

  it('stores no exit of a deleted record', async () => {
    const persistence = new MemoryPersistence()
    const watching = new ExecService({ client, stateDir: join(stateDir, 'deleted'), persistence })
    await watching.open()
    const id = await watching.createExec('box', request({ Cmd: ['sleep', '300'] }))
    await watching.startDetached(id, { Tty: false, ConsoleSize: null })
    const record = watching.store.get(id)!
    watching.store.delete(id)
    expect(persistence.rows.has(id)).toBe(false)
    await client.killProcess('box', id, 9)
    await until(() => !record.running)
    expect(persistence.rows.has(id)).toBe(false)
    watching.close()
  })

  it('deletes collected records from the persistence', async () => {
    const persistence = new MemoryPersistence()
    const collecting = new ExecService({ client, stateDir: join(stateDir, 'gc'), persistence, gcIntervalMs: 100 })
    await collecting.open()
    const id = await collecting.createExec('box', request({ Cmd: ['true'] }))
    await collecting.startDetached(id, { Tty: false, ConsoleSize: null })
    await until(() => collecting.store.get(id) === undefined)
    expect(persistence.rows.has(id)).toBe(false)
    collecting.close()
  })
})
