import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { EventBus, execEvent, type ExecService } from '@dexec/core'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { AUDIT_ROTATED_FILES, AuditLog } from './audit.js'

let directory: string

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexec-audit-'))
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

/** Builds a service stand-in with only what the audit log reads: the event bus and exec configs. */
function fakeService(): ExecService & { events: EventBus } {
  const config = { cmd: ['echo', 'hi'], user: 'root', tty: true }
  return { events: new EventBus(), store: { get: () => ({ config }) } } as never
}

function publish(service: { events: EventBus }, action: string, execId: string, extra?: Record<string, string>) {
  service.events.publish(
    execEvent({ action, containerId: 'c1', execId, labels: {}, image: '', name: 'web', extra }),
  )
}

async function linesIn(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8')
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('AuditLog', () => {
  it('fills killed and timedOut from the exec_die attributes', async () => {
    const path = join(directory, 'die.log')
    const service = fakeService()
    const audit = new AuditLog({ path, logger: pino({ level: 'silent' }) })
    audit.track(service)
    publish(service, 'exec_start: echo hi', 'e1')
    publish(service, 'exec_die', 'e1', { exitCode: '137', killed: 'true', timedOut: 'true' })
    publish(service, 'exec_start: echo hi', 'e2')
    publish(service, 'exec_die', 'e2', { exitCode: '0' })
    await audit.close()
    const ends = (await linesIn(path)).filter((line) => line.event === 'end')
    expect(ends.map((line) => [line.execId, line.exitCode, line.killed, line.timedOut])).toEqual([
      ['e1', 137, true, true],
      ['e2', 0, false, false],
    ])
  })

  it('writes every queued line before close resolves', async () => {
    const path = join(directory, 'flush.log')
    const service = fakeService()
    const audit = new AuditLog({ path, logger: pino({ level: 'silent' }) })
    audit.track(service)
    for (let i = 0; i < 500; i++) {
      publish(service, 'exec_start: echo hi', `e${i}`)
      publish(service, 'exec_die', `e${i}`, { exitCode: '0' })
    }
    await audit.close()
    expect(await linesIn(path)).toHaveLength(1000)
  })

  it('rotates by size and keeps five rotated files', async () => {
    const rotating = join(directory, 'rotate')
    const path = join(rotating, 'audit.log')
    const service = fakeService()
    // A start line here is under 200 bytes, so each 2 KiB file contains about ten of them.
    const audit = new AuditLog({ path, maxSizeMb: 2 / 1024, logger: pino({ level: 'silent' }) })
    audit.track(service)
    for (let i = 0; i < 200; i++) {
      publish(service, 'exec_start: echo hi', `e${i}`)
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    // The 200 execs never end, so there is nothing to wait for.
    await audit.close(0)
    const names = (await readdir(rotating)).sort()
    const rotated = Array.from({ length: AUDIT_ROTATED_FILES }, (_, i) => `audit.log.${i + 1}`)
    expect(names).toEqual(['audit.log', ...rotated].sort())
    const last = await linesIn(path)
    expect(last.at(-1)?.execId).toBe('e199')
  })
})
