import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { ExecConflictError, ExecStateError } from './errors.js'
import type { ExecConfig, ExecRecord, ExecStatus } from './record.js'
import { ExecStore } from './store.js'

// Each run applies a random sequence of operations to the store and to a plain model of the
// rules. After each operation, every record, both indexes and the counts must match the model.

const CONTAINERS = ['c0', 'c1', 'c2']

interface ModelExec {
  containerId: string
  status: ExecStatus
  pid: number
  exitCode: number | null
  startError: string | undefined
  detached: boolean
  stored: boolean
  listed: boolean
}

interface World {
  store: ExecStore
  records: ExecRecord[]
  model: ModelExec[]
}

type Operation =
  | { kind: 'create'; container: number }
  | { kind: 'start' | 'detach' | 'release' | 'delete'; target: number }
  | { kind: 'setPid'; target: number; pid: number }
  | { kind: 'finish' | 'failStart'; target: number; code: number }
  | { kind: 'deleteContainer'; container: number; keepExited: boolean }

const target = fc.nat(20)
const container = fc.nat(CONTAINERS.length - 1)
const code = fc.nat(255)
const pid = fc.integer({ min: 1, max: 1_000_000 })
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), container }),
  fc.record({ kind: fc.constantFrom('start', 'detach', 'release', 'delete'), target }),
  fc.record({ kind: fc.constant('setPid' as const), target, pid }),
  fc.record({ kind: fc.constantFrom('finish', 'failStart'), target, code }),
  fc.record({ kind: fc.constant('deleteContainer' as const), container, keepExited: fc.boolean() }),
)

function makeConfig(containerId: string): ExecConfig {
  return {
    containerId,
    cmd: ['true'],
    env: [],
    user: '',
    workingDir: '',
    tty: false,
    attachStdin: false,
    attachStdout: false,
    attachStderr: false,
    privileged: false,
    detachKeys: Buffer.alloc(0),
    consoleSize: null,
  }
}

function apply(world: World, op: Operation): void {
  if (op.kind === 'create' || op.kind === 'deleteContainer') {
    applyContainerOperation(world, op)
    return
  }

  const index = op.target % Math.max(world.records.length, 1)
  const record = world.records[index]
  const exec = world.model[index]
  if (record === undefined || exec === undefined) {
    return
  }

  switch (op.kind) {
    case 'start':
      return applyStart(record, exec)
    case 'setPid':
      return applySetPid(record, exec, op.pid)
    case 'finish':
    case 'failStart':
      return applyExit(record, exec, op.kind, op.code)
    case 'detach':
      return applyDetach(record, exec)
    case 'release':
      expect(world.store.release(record.id)).toBe(exec.stored && exec.listed)
      exec.listed = false
      return
    case 'delete':
      expect(world.store.delete(record.id)).toBe(exec.stored)
      exec.stored = false
      exec.listed = false
  }
}

function applyContainerOperation(
  world: World,
  op: Extract<Operation, { kind: 'create' | 'deleteContainer' }>,
): void {
  const containerId = CONTAINERS[op.container] ?? 'c0'
  if (op.kind === 'create') {
    world.records.push(world.store.create(makeConfig(containerId)))
    world.model.push({
      containerId,
      status: 'created',
      pid: 0,
      exitCode: null,
      startError: undefined,
      detached: false,
      stored: true,
      listed: true,
    })
    return
  }

  const expected = new Set<string>()
  world.model.forEach((exec, index) => {
    const kept = op.keepExited && exec.status === 'exited'
    if (exec.stored && exec.containerId === containerId && !kept) {
      expected.add(world.records[index]?.id ?? '')
      exec.stored = false
      exec.listed = false
    }
  })
  const deleted = world.store.deleteContainer(containerId, { keepExited: op.keepExited })
  expect(new Set(deleted.map((record) => record.id))).toEqual(expected)
}

function applyStart(record: ExecRecord, exec: ModelExec): void {
  if (exec.status === 'created') {
    record.start()
    exec.status = 'running'
    return
  }

  const code = exec.status === 'running' ? 'EXEC_ALREADY_RUNNING' : 'EXEC_ALREADY_RAN'
  expect(() => record.start()).toThrow(ExecConflictError)
  expect(() => record.start()).toThrow(expect.objectContaining({ code }))
}

function applySetPid(record: ExecRecord, exec: ModelExec, pid: number): void {
  if (exec.status === 'created' || exec.startError !== undefined) {
    expect(() => record.setPid(pid)).toThrow(ExecStateError)
    return
  }

  record.setPid(pid)
  exec.pid = pid
}

function applyExit(
  record: ExecRecord,
  exec: ModelExec,
  kind: 'finish' | 'failStart',
  exitCode: number,
): void {
  const exit = () => (kind === 'finish' ? record.finish(exitCode) : record.failStart(exitCode, 'x'))
  if (exec.status === 'created') {
    expect(exit).toThrow(ExecStateError)
    return
  }

  const changed = exit()
  expect(changed).toBe(exec.status === 'running')
  if (!changed) {
    return
  }

  exec.status = 'exited'
  exec.exitCode = exitCode
  exec.listed = false
  if (kind === 'failStart') {
    exec.pid = 0
    exec.startError = 'x'
  }
}

function applyDetach(record: ExecRecord, exec: ModelExec): void {
  if (exec.status === 'created') {
    expect(() => record.markDetached()).toThrow(ExecStateError)
    return
  }

  const changed = exec.status === 'running' && !exec.detached
  expect(record.markDetached()).toBe(changed)
  exec.detached = exec.detached || changed
}

function checkWorld({ store, records, model }: World): void {
  const counts = { created: 0, running: 0, exited: 0 }
  model.forEach((exec, index) => {
    const record = records[index]!
    expect(record.status).toBe(exec.status)
    expect(record.running).toBe(exec.status === 'running')
    expect(record.pid).toBe(exec.pid)
    expect(record.exitCode).toBe(exec.exitCode)
    expect(record.startError).toBe(exec.startError)
    expect(record.detached).toBe(exec.detached)
    expect(store.get(record.id)).toBe(exec.stored ? record : undefined)
    expect(store.isListed(record.id)).toBe(exec.listed)
    if (exec.stored) {
      counts[exec.status] += 1
    }
  })

  for (const containerId of CONTAINERS) {
    const listed = records.filter((_, index) => model[index]?.listed === true)
    const expected = listed.filter((record) => record.config.containerId === containerId)
    const ids = expected.length === 0 ? null : expected.map((record) => record.id).sort()
    expect(store.execIdsOf(containerId)?.sort() ?? null).toEqual(ids)
  }

  expect(store.countByStatus()).toEqual(counts)
  expect(store.size).toBe(counts.created + counts.running + counts.exited)
}

describe('ExecStore model', () => {
  it('matches the model for random operations', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        const world: World = { store: new ExecStore(), records: [], model: [] }
        for (const op of operations) {
          apply(world, op)
          checkWorld(world)
        }
      }),
      { numRuns: 2_000 },
    )
  })
})
