import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { waitFor } from '@dexec/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { docker, hasDockerCli } from './docker.js'
import { api } from './http.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack
let auditDirectory: string
let auditPath: string

beforeAll(async () => {
  auditDirectory = await mkdtemp(join(tmpdir(), 'dexec-e2e-audit-'))
  auditPath = join(auditDirectory, 'audit.log')
  const serveArgs = ['--audit-log', auditPath, '--audit-log-max-size', '1', '--shutdown-timeout', '0']
  stack = await startStack({ serveArgs })
})

afterAll(async () => {
  await stack?.stop()
  if (auditDirectory) await rm(auditDirectory, { recursive: true, force: true })
})

async function auditLines(): Promise<Record<string, unknown>[]> {
  const text = await readFile(auditPath, 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
}

function metricValue(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `))
  return Number(line?.split(' ')[1])
}

describe.skipIf(!hasDockerCli)('e2e, audit log and metrics of dexec serve', () => {
  it('names the docker CLI process as the caller', async () => {
    const result = await docker(stack.dockerHost, ['exec', 'demo', 'sh', '-c', 'echo hi; exit 3'])
    expect(result.code).toBe(3)
    await waitFor(async () => (await auditLines()).length >= 2, { what: 'two audit lines' })
    const [start, end] = await auditLines()
    const caller = { transport: 'unix', uid: 0, pid: result.pid }
    expect(start).toMatchObject({ event: 'start', containerName: 'demo', command: ['sh', '-c', 'echo hi; exit 3'], caller })
    expect(end).toMatchObject({ event: 'end', exitCode: 3, bytesOut: 3, bytesIn: 0, caller })
  })

  it('counts the exec in /metrics', async () => {
    const reply = await api(stack.socketPath, 'GET', '/metrics')
    expect(reply.status).toBe(200)
    expect(metricValue(reply.body, 'dexec_execs_created_total')).toBe(1)
    expect(metricValue(reply.body, 'dexec_execs_finished_total{class="nonzero"}')).toBe(1)
    expect(metricValue(reply.body, 'dexec_stream_bytes_total{direction="out"}')).toBe(3)
  })

  it('writes the end line of an exec cut by SIGTERM', async () => {
    const attached = docker(stack.dockerHost, ['exec', 'demo', 'sleep', '30'])
    await waitFor(async () => (await auditLines()).length >= 3, { what: 'the start line of sleep 30' })
    await stack.stop()
    await attached
    const lines = await auditLines()
    expect(lines.map((line) => line.event)).toEqual(['start', 'end', 'start', 'end'])
    expect(lines[3]).toMatchObject({ command: ['sleep', '30'], exitCode: 137 })
  })
})
