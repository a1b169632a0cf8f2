import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { runCli } from './cli.js'
import { followEvents } from './events.js'
import { createExec, inspectExec } from './exec-api.js'
import { api } from './http.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack
const auditDir = mkdtempSync(join(tmpdir(), 'dexec-audit-'))
const auditPath = join(auditDir, 'audit.log')

beforeAll(async () => {
  stack = await startStack({ serveArgs: ['--audit-log', auditPath] })
})

function auditLinesOf(id: string): Record<string, unknown>[] {
  return readFileSync(auditPath, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.execId === id)
}

afterAll(async () => {
  await stack?.stop()
  rmSync(auditDir, { recursive: true, force: true })
})

const json = { 'Content-Type': 'application/json' }

interface ListedExec {
  ID: string
  Running: boolean
  ExitCode: number | null
  ContainerID: string
  CreatedAt: string
  TimedOut: boolean
}

async function startDetached(cmd: string[], extra: object = {}): Promise<string> {
  const id = await createExec(stack.socketPath, 'demo', { Cmd: cmd, ...extra })
  const response = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/start`, '{"Detach":true}', json)
  if (response.status !== 200) throw new Error(`exec start failed: ${response.status} ${response.body}`)
  return id
}

async function untilExited(id: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const inspect = await inspectExec(stack.socketPath, id)
    if (!inspect.Running) return inspect
    if (Date.now() > deadline) throw new Error(`exec ${id} still runs after ${timeoutMs} ms`)
    await sleep(50)
  }
}

async function listExecs(query = ''): Promise<{ status: number; execs: ListedExec[]; body: string }> {
  const response = await api(stack.socketPath, 'GET', `/v1.45/execs${query}`)
  const execs = response.status === 200 ? (JSON.parse(response.body) as ListedExec[]) : []
  return { status: response.status, execs, body: response.body }
}

describe('e2e, POST /exec/{id}/kill', () => {
  it('ends sleep with 143 on TERM', async () => {
    const id = await startDetached(['sleep', '300'])
    const response = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/kill?signal=TERM`)
    expect(response.status).toBe(204)
    expect((await untilExited(id, 5_000)).ExitCode).toBe(143)
  })

  it('sends SIGKILL without a signal', async () => {
    const id = await startDetached(['sh', '-c', 'trap "" TERM; sleep 300'])
    expect((await api(stack.socketPath, 'POST', `/exec/${id}/kill`)).status).toBe(204)
    expect((await untilExited(id, 5_000)).ExitCode).toBe(137)
  })

  it('answers 404 for an unknown exec', async () => {
    const response = await api(stack.socketPath, 'POST', '/v1.45/exec/nope/kill?signal=15')
    expect(response.status).toBe(404)
    expect(JSON.parse(response.body)).toEqual({ message: 'No such exec instance: nope' })
  })

  it('answers 409 for an exec that is not running', async () => {
    const id = await createExec(stack.socketPath, 'demo', { Cmd: ['true'] })
    const response = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/kill?signal=SIGTERM`)
    expect(response.status).toBe(409)
    expect(JSON.parse(response.body)).toEqual({ message: `exec ${id} is not running` })
  })

  it('answers 400 for an unknown signal', async () => {
    const id = await startDetached(['sleep', '300'])
    const response = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/kill?signal=BOGUS`)
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body).message).toMatch(/^invalid signal: BOGUS/)
    await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/kill`)
  })
})

describe('e2e, exec Timeout', () => {
  const invalid: [string, string][] = [
    ['-1', 'invalid JSON: Timeout must be a whole number of seconds >= 0'],
    ['1.5', 'invalid JSON: json: cannot unmarshal number 1.5 into Go struct field ExecCreateRequest.Timeout of type int'],
    ['"5"', 'invalid JSON: json: cannot unmarshal string into Go struct field ExecCreateRequest.Timeout of type int'],
  ]
  for (const [value, message] of invalid) {
    it(`rejects Timeout ${value}`, async () => {
      const body = `{"Cmd":["true"],"Timeout":${value}}`
      const response = await api(stack.socketPath, 'POST', '/v1.45/containers/demo/exec', body, json)
      expect(response.status).toBe(400)
      expect(JSON.parse(response.body)).toEqual({ message })
    })
  }

  it('stops an exec at its Timeout', async () => {
    const events = followEvents(stack.socketPath)
    await events.ready
    const started = Date.now()
    const id = await startDetached(['sleep', '300'], { Timeout: 1 })
    const inspect = (await untilExited(id, 13_000)) as unknown as ListedExec
    expect(inspect.ExitCode).toBe(143)
    expect(inspect.TimedOut).toBe(true)
    expect(Date.now() - started).toBeLessThan(3_000)
    await sleep(300)
    events.stop()
    const dies = events.events.filter((e) => e.Action === 'exec_die' && e.Actor.Attributes.execID === id)
    expect(dies.map((e) => e.Actor.Attributes.timedOut)).toEqual(['true'])
  })
})

describe('e2e, GET /execs', () => {
  it('lists execs with the fields of inspect', async () => {
    const id = await startDetached(['true'])
    await untilExited(id, 5_000)
    for (const path of ['/execs', '/v1.45/execs', '/v1.24/execs']) {
      const response = await api(stack.socketPath, 'GET', path)
      expect(response.status).toBe(200)
      const listed = (JSON.parse(response.body) as ListedExec[]).find((exec) => exec.ID === id)
      expect(listed).toEqual(JSON.parse((await api(stack.socketPath, 'GET', `/v1.45/exec/${id}/json`)).body))
    }
  })

  it('filters by container, running and since', async () => {
    const since = (Date.now() / 1000).toFixed(3)
    const running = await startDetached(['sleep', '300'])
    const done = await startDetached(['true'])
    await untilExited(done, 5_000)
    const ids = async (query: string) => (await listExecs(query)).execs.map((exec) => exec.ID)
    expect(await ids(`?since=${since}&container=demo`)).toEqual([running, done])
    expect(await ids(`?since=${since}&running=true`)).toEqual([running])
    expect(await ids(`?since=${since}&running=false`)).toEqual([done])
    expect(await ids(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([])
    expect(await ids('?container=missing')).toEqual([])
    await api(stack.socketPath, 'POST', `/v1.45/exec/${running}/kill`)
  })

  const invalid = ['running=maybe', 'since=yesterday', 'container=']
  for (const query of invalid) {
    it(`answers 400 for ${query}`, async () => {
      const { status, body } = await listExecs(`?${query}`)
      expect(status).toBe(400)
      expect(JSON.parse(body).message).toMatch(/^invalid filter /)
    })
  }
})

describe('e2e, durable exec records', () => {
  it('refuses a second server on the same state directory with 125', async () => {
    const otherSocket = join(stack.containerd.directory, 'second.sock')
    const result = await runCli([
      'serve',
      '--containerd', stack.containerd.address,
      '--host', `unix://${otherSocket}`,
      '--state-dir', stack.stateDir,
    ])
    const db = join(stack.stateDir, 'execs.db')
    expect(result.stderr).toBe(
      `dexec: failed to start: exec database ${db} is in use by another dexec server; give each server its own state directory\n`,
    )
    expect(result.code).toBe(125)
    expect((await api(stack.socketPath, 'GET', '/_ping')).body).toBe('OK')
  })

  it('adopts a running exec after dexec is killed', async () => {
    const finished = await startDetached(['sh', '-c', 'exit 4'])
    await untilExited(finished, 5_000)
    const id = await startDetached(['sleep', '5'])
    // A line still queued when dexec gets SIGKILL is lost (NOTE in audit.ts); wait for it.
    while (auditLinesOf(id).length === 0) await sleep(20)
    await stack.restartDexec()

    const listed = (await listExecs()).execs.find((exec) => exec.ID === id)
    expect(listed?.Running).toBe(true)
    expect((await inspectExec(stack.socketPath, finished)).ExitCode).toBe(4)
    const container = JSON.parse((await api(stack.socketPath, 'GET', '/v1.45/containers/demo/json')).body)
    expect(container.ExecIDs).toContain(id)
    const events = followEvents(stack.socketPath)
    await events.ready

    const inspect = await untilExited(id, 15_000)
    expect(inspect.ExitCode).toBe(0)
    await sleep(300)
    events.stop()
    const dies = events.events.filter((e) => e.Action === 'exec_die' && e.Actor.Attributes.execID === id)
    expect(dies.map((e) => e.Actor.Attributes.exitCode)).toEqual(['0'])
    const lines = auditLinesOf(id)
    expect(lines.map((line) => [line.event, line.exitCode, line.adopted])).toEqual([
      ['start', undefined, undefined],
      ['end', 0, true],
    ])
    expect(lines[1]?.durationMs).toBeGreaterThanOrEqual(4_000)
  })

  it('keeps the deadline of an adopted exec', async () => {
    const started = Date.now()
    const id = await startDetached(['sleep', '300'], { Timeout: 3 })
    await stack.restartDexec()
    const inspect = (await untilExited(id, 15_000)) as unknown as ListedExec
    expect(inspect.ExitCode).toBe(143)
    expect(inspect.TimedOut).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000)
  })

  it('drains the output of an adopted exec', async () => {
    // 3 s of lines across the restart, then 10 MB, far more than a pipe buffers.
    const script = 'i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); usleep 10000; done; ' +
      'yes | head -c 10000000; exit 7'
    const id = await createExec(stack.socketPath, 'demo', { AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', script] })
    const response = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/start`, '{"Detach":true}', json)
    expect(response.status).toBe(200)
    await sleep(300)
    await stack.restartDexec()
    expect((await untilExited(id, 20_000)).ExitCode).toBe(7)
  })
})

describe('e2e, reconciliation after a containerd restart', () => {
  it('records an exit that happened while containerd was down', async () => {
    const events = followEvents(stack.socketPath)
    await events.ready
    const id = await startDetached(['sh', '-c', 'sleep 2; exit 3'])
    await stack.containerd.restart(() => sleep(4_000))
    const inspect = await untilExited(id, 15_000)
    expect(inspect.ExitCode).toBe(3)
    await sleep(1_000)
    events.stop()
    const dies = events.events.filter((e) => e.Action === 'exec_die' && e.Actor.Attributes.execID === id)
    expect(dies.map((e) => e.Actor.Attributes.exitCode)).toEqual(['3'])
  })
})
