import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'

import { ContainerdClient } from '@dexec/containerd'
import { createContainer, ctr, startContainerd, waitFor, type ContainerdInstance } from '@dexec/testkit'
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
  client = new ContainerdClient({ address: containerd.address, namespace: 'default' })
  stateDir = await mkdtemp(join(tmpdir(), 'dexec-state-'))
  service = new ExecService({ client, stateDir })
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

describe('ExecService', () => {
  it('removes FIFO directories left by an earlier run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dexec-stale-'))
    await mkdir(join(dir, 'a'.repeat(64)))
    const fresh = new ExecService({ client, stateDir: dir })
    await fresh.open()
    fresh.close()
    expect(await readdir(dir)).toEqual([])
    await rm(dir, { recursive: true, force: true })
  })

  it('runs an attached exec and leaves no FIFO behind', async () => {
    const id = await service.createExec('box', request({ Cmd: ['sh', '-c', 'echo hi; exit 4'] }))
    const output = new PassThrough()
    const chunks: Buffer[] = []
    output.on('data', (chunk: Buffer) => chunks.push(chunk))
    await service.startAttached(await service.prepareStart(id), { Tty: true, ConsoleSize: null }, { input: null, output })
    expect(Buffer.concat(chunks).toString()).toBe('hi\n')
    expect(service.inspectExec(id)).toMatchObject({ Running: false, ExitCode: 4 })
    expect(await readdir(stateDir)).toEqual([])
  })

  it('finishes a running exec with 137 when its container is killed', async () => {
    const victim = await createContainer(containerd, { id: 'victim' })
    const running = await service.createExec('victim', request({ Cmd: ['sleep', '300'] }))
    const idle = await service.createExec('victim', request({ Cmd: ['true'] }))
    await service.startDetached(running, { Tty: false, ConsoleSize: null })
    await victim.kill()
    await until(() => !service.inspectExec(running).Running)
    expect(service.inspectExec(running).ExitCode).toBe(137)
    const dies = events.filter((e) => e.Action === 'exec_die' && e.Actor.Attributes.execID === running)
    expect(dies.map((e) => e.Actor.Attributes.exitCode)).toEqual(['137'])
    await until(() => service.store.get(idle) === undefined)
    expect(() => service.inspectExec(idle)).toThrow(`No such exec instance: ${idle}`)
  })

  it('rejects an exec into a container that never started', async () => {
    await createContainer(containerd, { id: 'created-only', start: false })
    await expect(service.createExec('created-only', request({ Cmd: ['true'] }))).rejects.toThrow(
      'container created-only is not running',
    )
  })

  it('reports when a running container started', async () => {
    const before = Date.now()
    await createContainer(containerd, { id: 'timed' })
    const startedAt = Date.parse((await service.inspectContainer('timed')).State.StartedAt)
    // The boot time in /proc/stat has whole seconds, so the start time can read up to 1 s early.
    expect(startedAt).toBeGreaterThanOrEqual(before - 1_000)
    expect(startedAt).toBeLessThanOrEqual(Date.now())
  })

  it('reads a container again after containerd reports it updated', async () => {
    await createContainer(containerd, { id: 'relabelled' })
    const labelOf = (id: string) =>
      events.find((e) => e.Action.startsWith('exec_create') && e.Actor.Attributes.execID === id)?.Actor.Attributes.tier
    const first = await service.createExec('relabelled', request({ Cmd: ['true'] }))
    expect(labelOf(first)).toBeUndefined()
    await ctr(containerd.address, 'default', ['containers', 'label', 'relabelled', 'tier=gold'])
    // The update reaches dexec as an event, after which the next create reads the new label.
    let latest = ''
    await waitFor(
      async () => {
        latest = await service.createExec('relabelled', request({ Cmd: ['true'] }))
        return labelOf(latest) === 'gold'
      },
      { timeoutMs: 5_000, intervalMs: 50, what: 'the new label on exec_create' },
    )
    expect(labelOf(latest)).toBe('gold')
  })

  it('drops every record of a removed container', async () => {
    const doomed = await createContainer(containerd, { id: 'doomed' })
    const id = await service.createExec('doomed', request({ Cmd: ['true'] }))
    await service.startDetached(id, { Tty: false, ConsoleSize: null })
    await until(() => !service.inspectExec(id).Running)
    await doomed.remove()
    await until(() => service.store.get(id) === undefined)
    expect(service.store.listByContainer('doomed')).toEqual([])
  })

  it('keeps exit codes across containerd restart', async () => {
    const id = await service.createExec('box', request({ Cmd: ['sh', '-c', 'sleep 2; exit 5'] }))
    await service.startDetached(id, { Tty: false, ConsoleSize: null })
    await containerd.restart()
    await until(() => !service.inspectExec(id).Running, 15_000)
    expect(service.inspectExec(id).ExitCode).toBe(5)
    const dies = events.filter((e) => e.Action === 'exec_die' && e.Actor.Attributes.execID === id)
    expect(dies.map((e) => e.Actor.Attributes.exitCode)).toEqual(['5'])
  })

  it('serves new execs after containerd restarted', async () => {
    await containerd.restart()
    const id = await service.createExec('box', request({ Cmd: ['true'] }))
    await service.startDetached(id, { Tty: false, ConsoleSize: null })
    await until(() => !service.inspectExec(id).Running)
    expect(service.inspectExec(id).ExitCode).toBe(0)
  })
})
