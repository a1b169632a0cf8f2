import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { followEvents } from './events.js'
import { createExec, inspectExec, resizeExec } from './exec-api.js'
import { hijackStart, readMultiplexed, readRaw } from './hijack.js'
import { api } from './http.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

const output = { AttachStdout: true, AttachStderr: true }

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(20)
  }
  return Date.now() - started
}

describe('e2e, exec semantics', () => {
  it('runs 1,000 execs of true, 32 at a time, with one exec_die each', async () => {
    const follower = followEvents(stack.socketPath, `?filters=${encodeURIComponent('{"event":["exec_die"]}')}`)
    await follower.ready
    const ids: string[] = []
    let next = 0
    const worker = async () => {
      while (next < 1000) {
        next++
        const id = await createExec(stack.socketPath, 'demo', { ...output, Cmd: ['true'] })
        ids.push(id)
        await readMultiplexed(await hijackStart(stack.socketPath, id))
      }
    }
    await Promise.all(Array.from({ length: 32 }, worker))
    const inspects = await Promise.all(ids.map((id) => inspectExec(stack.socketPath, id)))
    expect(inspects.filter((i) => i.Running || i.ExitCode !== 0)).toEqual([])
    await waitUntil(async () => follower.events.length >= 1000, 5_000)
    follower.stop()
    const dies = new Map<string, number>()
    for (const event of follower.events) {
      const execId = event.Actor.Attributes.execID!
      dies.set(execId, (dies.get(execId) ?? 0) + 1)
    }
    expect(ids.length).toBe(1000)
    expect(ids.filter((id) => dies.get(id) !== 1)).toEqual([])
  }, 300_000)

  it('emits create, start and die in order with Docker attributes', async () => {
    const follower = followEvents(stack.socketPath, `?filters=${encodeURIComponent('{"container":["demo"]}')}`)
    await follower.ready
    const id = await createExec(stack.socketPath, 'demo', { ...output, Cmd: ['sh', '-c', 'exit 3'] })
    await readMultiplexed(await hijackStart(stack.socketPath, id))
    await waitUntil(async () => follower.events.some((e) => e.Action === 'exec_die'), 2_000)
    follower.stop()
    const mine = follower.events.filter((e) => e.Actor.Attributes.execID === id)
    expect(mine.map((e) => e.Action)).toEqual(['exec_create: sh -c exit 3', 'exec_start: sh -c exit 3', 'exec_die'])
    expect(mine[2]!.Actor).toEqual({ ID: 'demo', Attributes: { execID: id, exitCode: '3', name: 'demo' } })
    expect(Object.keys(mine[2]!)).toEqual(['status', 'id', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano'])
  })

  it('detaches on ctrl-p ctrl-q and leaves the process running', async () => {
    const follower = followEvents(stack.socketPath, `?filters=${encodeURIComponent('{"event":["exec_detach"]}')}`)
    await follower.ready
    const id = await createExec(stack.socketPath, 'demo', {
      ...output,
      AttachStdin: true,
      Tty: true,
      Cmd: ['sh', '-c', 'echo ready; sleep 30'],
    })
    const hijacked = await hijackStart(stack.socketPath, id, { Tty: true })
    await sleep(300)
    hijacked.socket.write('\x10\x11')
    const raw = await readRaw(hijacked)
    expect(raw.toString()).toBe('ready\r\n')
    const inspect = await inspectExec(stack.socketPath, id)
    expect(inspect.Running).toBe(true)
    expect(inspect.ExitCode).toBe(null)
    await waitUntil(async () => follower.events.length === 1, 2_000)
    follower.stop()
    expect(follower.events[0]!.Actor.Attributes.execID).toBe(id)
  })

  it('kills the process within 1 s when the client closes', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...output, AttachStdin: true, Cmd: ['sleep', '300'] })
    const hijacked = await hijackStart(stack.socketPath, id)
    await waitUntil(async () => (await inspectExec(stack.socketPath, id)).Pid > 0, 2_000)
    hijacked.socket.destroy()
    const elapsed = await waitUntil(async () => !(await inspectExec(stack.socketPath, id)).Running, 2_000)
    expect(elapsed).toBeLessThan(1_000)
    expect((await inspectExec(stack.socketPath, id)).ExitCode).toBe(137)
  })

  it('regression: survives a client that closes while output flows', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...output, Cmd: ['yes'] })
    const hijacked = await hijackStart(stack.socketPath, id)
    if (hijacked.initial.length === 0) {
      await new Promise((resolve) => hijacked.socket.once('data', resolve).resume())
    }
    hijacked.socket.destroy()
    await waitUntil(async () => !(await inspectExec(stack.socketPath, id)).Running, 2_000)
    expect((await inspectExec(stack.socketPath, id)).ExitCode).toBe(137)
    expect((await api(stack.socketPath, 'GET', '/_ping')).body).toBe('OK')
    expect(stack.dexec.exitCode).toBe(null)
  })

  it('applies a resize sent right after the start', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...output, Tty: true, Cmd: ['sh', '-c', 'sleep 0.3; stty size'] })
    const hijacked = await hijackStart(stack.socketPath, id, { Tty: true })
    expect(await resizeExec(stack.socketPath, id, 20, 60)).toBe(200)
    expect((await readRaw(hijacked)).toString()).toBe('20 60\r\n')
  })

  it('keeps a resize sent before the start for the start', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...output, Tty: true, Cmd: ['stty', 'size'] })
    expect(await resizeExec(stack.socketPath, id, 21, 61)).toBe(200)
    const hijacked = await hijackStart(stack.socketPath, id, { Tty: true })
    expect((await readRaw(hijacked)).toString()).toBe('21 61\r\n')
  })

  it('writes the conflict into the stream of a second attached start', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...output, Cmd: ['true'] })
    await readMultiplexed(await hijackStart(stack.socketPath, id))
    const second = await hijackStart(stack.socketPath, id)
    expect(second.status).toBe(101)
    expect(await readMultiplexed(second)).toEqual({ stdout: `exec command ${id} has already run\r\n`, stderr: '' })
  })

  it('answers a second detached start with 409', async () => {
    const id = await createExec(stack.socketPath, 'demo', { Cmd: ['sleep', '5'] })
    const body = '{"Detach":true}'
    const headers = { 'Content-Type': 'application/json' }
    expect((await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/start`, body, headers)).status).toBe(200)
    const second = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/start`, body, headers)
    expect(second.status).toBe(409)
    expect(JSON.parse(second.body)).toEqual({ message: `exec command ${id} is already running` })
  })

  it('reports a missing executable with 127 in the stream and in inspect', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...output, Cmd: ['/nonexistent'] })
    const { stdout } = await readMultiplexed(await hijackStart(stack.socketPath, id))
    expect(stdout).toMatch(/^OCI runtime exec failed: .*stat \/nonexistent: no such file or directory: unknown\r\n$/)
    const inspect = await inspectExec(stack.socketPath, id)
    expect(inspect).toMatchObject({ Running: false, ExitCode: 127, Pid: 0 })
  })

  it('runs as a user of the container with supplementary groups', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...output, User: 'alice', Cmd: ['id'] })
    const { stdout } = await readMultiplexed(await hijackStart(stack.socketPath, id))
    expect(stdout).toBe('uid=1000(alice) gid=1000(alice) groups=50(staff),1000(alice)\n')
  })

  it('rejects an unknown user at create', async () => {
    const response = await api(stack.socketPath, 'POST', '/v1.45/containers/demo/exec', '{"Cmd":["id"],"User":"nosuch"}', {
      'Content-Type': 'application/json',
    })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body)).toEqual({ message: 'unable to find user nosuch: no matching entries in passwd file' })
  })

  it('lists running execs in ExecIDs and drops them at exit', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...output, Cmd: ['sleep', '1'] })
    const hijacked = await hijackStart(stack.socketPath, id)
    const during = JSON.parse((await api(stack.socketPath, 'GET', '/v1.45/containers/demo/json')).body)
    expect(during.ExecIDs).toContain(id)
    await readMultiplexed(hijacked)
    const after = JSON.parse((await api(stack.socketPath, 'GET', '/v1.45/containers/demo/json')).body)
    expect(after.ExecIDs ?? []).not.toContain(id)
  })
})
