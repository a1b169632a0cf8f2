import { ContainerdError, type ContainerdClient, type ProcessState } from '@dexec/containerd'
import { ExecStore, type ExecConfig, type ExecRecord } from '@dexec/exec-store'
import { describe, expect, it } from 'vitest'

import { adoptExec, LOST_EXIT_CODE, reconcileRunning, type RecoveryContext } from './exec-recovery.js'

const config: ExecConfig = {
  containerId: 'box',
  cmd: ['sleep', '5'],
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

type ProcessAnswer = Partial<ProcessState> | Error

function runningRecord(id: string, pid = 42): ExecRecord {
  const record = new ExecStore().create(config, { id })
  record.start()
  if (pid !== 0) record.setPid(pid)
  return record
}

function fakeContext(answers: Record<string, ProcessAnswer>, waitCode = 0) {
  const published: { id: string; action: string; extra?: Record<string, string> }[] = []
  const deleted: string[] = []
  const client = {
    getProcess: async (_containerId: string, execId: string) => {
      const answer = answers[execId]
      if (answer instanceof Error) throw answer
      return { containerId: 'box', id: execId, pid: 42, status: 'running', exitStatus: 0, ...answer }
    },
    waitProcess: async () => ({ code: waitCode, exitedAt: undefined }),
    deleteProcess: async (_containerId: string, execId: string) => {
      deleted.push(execId)
      return { code: 0, exitedAt: undefined }
    },
    killProcess: async () => {},
  } as unknown as ContainerdClient
  const context: RecoveryContext = {
    client,
    stateDir: '/nonexistent',
    timeoutGraceMs: 1_000,
    publish: async (record, action, extra) => {
      published.push({ id: record.id, action, extra })
    },
    reportError: (err) => {
      throw err
    },
  }
  return { context, published, deleted }
}

const notFound = () => new ContainerdError('NOT_FOUND', 'process not found', 'Tasks.Get')

describe('adoptExec', () => {
  it('waits for a running process', async () => {
    const { context, published, deleted } = fakeContext({ a: { status: 'running' } }, 7)
    const record = runningRecord('a')
    await adoptExec(context, record)
    expect(record.exitCode).toBe(7)
    expect(published).toEqual([{ id: 'a', action: 'exec_die', extra: { exitCode: '7' } }])
    expect(deleted).toEqual(['a'])
  })

  it('records the status of a stopped process', async () => {
    const { context, published } = fakeContext({ a: { status: 'stopped', exitStatus: 3 } })
    const record = runningRecord('a')
    await adoptExec(context, record)
    expect(record.exitCode).toBe(3)
    expect(published.map((event) => event.extra?.exitCode)).toEqual(['3'])
  })

  it('takes the pid of a start that was in progress', async () => {
    const { context } = fakeContext({ a: { status: 'running', pid: 99 } })
    const record = runningRecord('a', 0)
    await adoptExec(context, record)
    expect(record.pid).toBe(99)
  })

  it('marks a process that containerd lost', async () => {
    const { context, published } = fakeContext({ a: notFound() })
    const record = runningRecord('a')
    await adoptExec(context, record)
    expect(record.exitCode).toBe(LOST_EXIT_CODE)
    expect(published.map((event) => event.action)).toEqual(['exec_die'])
  })

  it('fails a process that was never started', async () => {
    const { context, published, deleted } = fakeContext({ a: { status: 'created' } })
    const record = runningRecord('a', 0)
    await adoptExec(context, record)
    expect(record.exitCode).toBe(LOST_EXIT_CODE)
    expect(record.startError).toBe('dexec restarted before the process was started')
    expect(published).toEqual([])
    expect(deleted).toEqual(['a'])
  })
})

describe('reconcileRunning', () => {
  it('completes only the execs whose process stopped', async () => {
    const { context, published } = fakeContext({
      stopped: { status: 'stopped', exitStatus: 3 },
      running: { status: 'running' },
      gone: notFound(),
      away: new ContainerdError('UNAVAILABLE', 'connection refused', 'Tasks.Get'),
    })
    const records = ['stopped', 'running', 'gone', 'away'].map((id) => runningRecord(id))
    await reconcileRunning(context, records)
    expect(records.map((record) => record.exitCode)).toEqual([3, null, null, null])
    expect(published).toEqual([{ id: 'stopped', action: 'exec_die', extra: { exitCode: '3' } }])
  })

  it('emits one exec_die when called twice', async () => {
    const { context, published } = fakeContext({ a: { status: 'stopped', exitStatus: 1 } })
    const record = runningRecord('a')
    await Promise.all([reconcileRunning(context, [record]), reconcileRunning(context, [record])])
    expect(published).toHaveLength(1)
  })
})
