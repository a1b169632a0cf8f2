import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { createContainer, startContainerd, waitFor, type ContainerdInstance } from '@dexec/testkit'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startServer, type DexecServer } from './server.js'

let containerd: ContainerdInstance
let server: DexecServer
let socketPath: string
let auditPath: string

beforeAll(async () => {
  containerd = await startContainerd()
  await createContainer(containerd, { id: 'box' })
  socketPath = join(containerd.directory, 'dexec.sock')
  auditPath = join(containerd.directory, 'audit', 'audit.log')
  server = await startServer({
    containerd: containerd.address,
    namespace: 'default',
    host: `unix://${socketPath}`,
    stateDir: join(containerd.directory, 'dexec'),
    auditLog: auditPath,
    // Short, so that the GC counter moves within the test.
    gcIntervalMs: 300,
  })
})

afterAll(async () => {
  await server?.close()
  await containerd?.stop()
})

function call(method: string, path: string, body?: object): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = body ? { 'Content-Type': 'application/json' } : undefined
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body ? JSON.stringify(body) : undefined)
  })
}

async function createExec(body: object): Promise<string> {
  const reply = await call('POST', '/containers/box/exec', { AttachStdout: true, AttachStderr: true, ...body })
  if (reply.status !== 201) throw new Error(`exec create returned ${reply.status}: ${reply.body}`)
  return (JSON.parse(reply.body) as { Id: string }).Id
}

/** Starts an exec with `Upgrade: tcp`, sends `stdin`, half-closes, and reads until the end. */
function startAttached(execId: string, stdin = ''): Promise<Buffer> {
  const head = [
    `POST /v1.45/exec/${execId}/start HTTP/1.1`,
    'Host: dexec',
    'Content-Type: application/json',
    'Content-Length: 2',
    'Connection: Upgrade',
    'Upgrade: tcp',
  ]
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.once('error', reject)
    socket.once('end', () => resolve(Buffer.concat(chunks)))
    socket.end(`${head.join('\r\n')}\r\n\r\n{}${stdin}`)
  })
}

interface Sample {
  value?: string
  count?: string
  labels?: Record<string, string>
}

/** Scrapes /metrics and returns `name{label="value"}` (or `name` alone) to its number. */
async function scrape(): Promise<Map<string, number>> {
  const reply = await call('GET', '/metrics')
  const values = new Map<string, number>()
  const families = parsePrometheusTextFormat(reply.body) as { name: string; metrics: Sample[] }[]
  for (const family of families) {
    for (const sample of family.metrics) {
      const labels = Object.entries(sample.labels ?? {}).map(([key, value]) => `${key}="${value}"`)
      const key = labels.length ? `${family.name}{${labels.join(',')}}` : family.name
      values.set(key, Number(sample.value ?? sample.count))
    }
  }
  return values
}

async function auditLines(): Promise<Record<string, unknown>[]> {
  const text = await readFile(auditPath, 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
}

async function auditLinesOf(execId: string, count: number): Promise<Record<string, unknown>[]> {
  await waitFor(async () => (await auditLines()).filter((l) => l.execId === execId).length >= count, {
    what: `${count} audit lines of exec ${execId}`,
  })
  return (await auditLines()).filter((line) => line.execId === execId)
}

describe('GET /metrics', () => {
  it('moves each counter by the two execs it saw', async () => {
    const before = await scrape()
    const cat = await createExec({ Cmd: ['cat'], AttachStdin: true })
    await startAttached(cat, 'hello\n')
    const failing = await createExec({ Cmd: ['sh', '-c', 'printf abc; printf de >&2; exit 3'] })
    await startAttached(failing)
    const after = await scrape()
    const delta = (key: string) => (after.get(key) ?? NaN) - (before.get(key) ?? NaN)

    expect(delta('dexec_execs_created_total')).toBe(2)
    expect(delta('dexec_execs_started_total')).toBe(2)
    expect(delta('dexec_execs_finished_total{class="zero"}')).toBe(1)
    expect(delta('dexec_execs_finished_total{class="nonzero"}')).toBe(1)
    expect(delta('dexec_execs_finished_total{class="signal"}')).toBe(0)
    expect(delta('dexec_execs_finished_total{class="start_failure"}')).toBe(0)
    expect(delta('dexec_stream_bytes_total{direction="in"}')).toBe(6)
    expect(delta('dexec_stream_bytes_total{direction="out"}')).toBe(11)
    expect(delta('dexec_exec_start_seconds')).toBe(2)
    expect(after.get('dexec_execs_running')).toBe(0)
  })

  it.each([
    ['signal', ['sh', '-c', 'kill -9 $$']],
    ['start_failure', ['/no/such/binary']],
  ])('counts a %s finish', async (finishClass, cmd) => {
    const key = `dexec_execs_finished_total{class="${finishClass}"}`
    const before = (await scrape()).get(key) ?? NaN
    const id = await createExec({ Cmd: cmd })
    await startAttached(id)
    expect(((await scrape()).get(key) ?? NaN) - before).toBe(1)
  })

  it('shows a detached exec as running until it ends', async () => {
    const id = await createExec({ Cmd: ['sleep', '1'], AttachStdout: false, AttachStderr: false })
    expect((await call('POST', `/exec/${id}/start`, { Detach: true })).status).toBe(200)
    expect((await scrape()).get('dexec_execs_running')).toBe(1)
    await waitFor(async () => (await scrape()).get('dexec_execs_running') === 0, { what: 'sleep 1 to end' })
  })

  it('answers 404 under a version prefix', async () => {
    expect((await call('GET', '/v1.45/metrics')).status).toBe(404)
  })

  it('counts every finished exec as collected by the GC', async () => {
    const id = await createExec({ Cmd: ['true'] })
    await startAttached(id)
    const settled = async () => {
      const values = await scrape()
      return values.get('dexec_gc_collected_total') === values.get('dexec_execs_created_total')
    }
    await waitFor(settled, { what: 'the GC to delete every finished exec' })
    expect((await scrape()).get('dexec_gc_collected_total')).toBeGreaterThan(0)
  })

  it('counts one reconnect when containerd restarts', async () => {
    const before = (await scrape()).get('dexec_containerd_reconnects_total') ?? NaN
    await containerd.restart()
    await waitFor(async () => (await scrape()).get('dexec_containerd_reconnects_total') !== before, {
      what: 'the reconnect to be counted',
      timeoutMs: 20_000,
    })
    // Later retries must not count the same outage again.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(((await scrape()).get('dexec_containerd_reconnects_total') ?? NaN) - before).toBe(1)
  })
})

describe('audit log', () => {
  it('writes one start and one end line for an attached exec', async () => {
    const id = await createExec({ Cmd: ['cat'], AttachStdin: true, Tty: false, User: 'nobody' })
    await startAttached(id, 'abcd')
    const [start, end, ...rest] = await auditLinesOf(id, 2)
    expect(rest).toEqual([])
    const caller = { transport: 'unix', uid: process.getuid!(), pid: process.pid }
    const subject = { execId: id, containerId: 'box', containerName: 'box', command: ['cat'], user: 'nobody', tty: false }
    expect(start).toEqual({ time: start!.time, event: 'start', ...subject, caller, detached: false })
    expect(end).toMatchObject({ event: 'end', ...subject, caller, exitCode: 0, bytesIn: 4, bytesOut: 4 })
    expect(end).toMatchObject({ detached: false, killed: false, timedOut: false, error: null })
    expect(typeof end!.durationMs).toBe('number')
    expect(Date.parse(end!.time as string)).toBeGreaterThanOrEqual(Date.parse(start!.time as string))
  })

  it('writes the end line of a detached start when its process ends', async () => {
    const id = await createExec({ Cmd: ['sh', '-c', 'sleep 1; exit 2'] })
    expect((await call('POST', `/exec/${id}/start`, { Detach: true })).status).toBe(200)
    const [start] = await auditLinesOf(id, 1)
    expect(start).toMatchObject({ event: 'start', detached: true, command: ['sh', '-c', 'sleep 1; exit 2'] })
    expect((await auditLines()).filter((line) => line.execId === id)).toHaveLength(1)
    const [, end] = await auditLinesOf(id, 2)
    expect(end).toMatchObject({ event: 'end', exitCode: 2, detached: true, bytesIn: 0, bytesOut: 0 })
    expect(end!.durationMs).toBeGreaterThanOrEqual(900)
  })

  it('writes two lines for each of 40 concurrent execs', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, () => createExec({ Cmd: ['echo', 'x'] })))
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map((id) => startAttached(id)))
    }
    const linesOfIds = async () => (await auditLines()).filter((l) => ids.includes(l.execId as string))
    await waitFor(async () => (await linesOfIds()).length === 80, { what: '80 audit lines' })
    const lines = await linesOfIds()
    const callers = lines.filter((line) => (line.caller as { pid: number | null }).pid === process.pid)
    expect(callers).toHaveLength(80)
    for (const id of ids) {
      expect(lines.filter((line) => line.execId === id).map((line) => line.event)).toEqual(['start', 'end'])
    }
  })

  it('writes the start failure as the end line', async () => {
    const id = await createExec({ Cmd: ['/no/such/binary'] })
    await startAttached(id)
    const [, end] = await auditLinesOf(id, 2)
    expect(end).toMatchObject({ event: 'end', exitCode: 127, killed: false })
    expect(end!.error).toContain('/no/such/binary')
  })
})
