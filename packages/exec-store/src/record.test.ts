import { describe, expect, it } from 'vitest'

import { ExecConflictError, ExecStateError, InvalidExecArgumentError } from './errors.js'
import { ExecRecord } from './record.js'
import type { ExecConfig, ExecRecordChange } from './record.js'

const ID = 'a'.repeat(64)
const CREATED_AT = new Date('2026-01-01T00:00:00Z')
const STARTED_AT = new Date('2026-01-01T00:00:01Z')
const FINISHED_AT = new Date('2026-01-01T00:00:02Z')

function makeConfig(overrides: Partial<ExecConfig> = {}): ExecConfig {
  return {
    containerId: 'c'.repeat(64),
    cmd: ['sh', '-c', 'echo hi'],
    env: ['PATH=/usr/bin:/bin'],
    user: '',
    workingDir: '',
    tty: false,
    attachStdin: false,
    attachStdout: true,
    attachStderr: true,
    privileged: false,
    detachKeys: Buffer.alloc(0),
    consoleSize: null,
    ...overrides,
  }
}

function makeRecord(overrides: Partial<ExecConfig> = {}): ExecRecord {
  return new ExecRecord(ID, makeConfig(overrides), { createdAt: CREATED_AT })
}

function runningRecord(): ExecRecord {
  const record = makeRecord()
  record.start(STARTED_AT)
  return record
}

describe('ExecRecord constructor', () => {
  it('starts in created state', () => {
    const record = makeRecord()
    expect(record.id).toBe(ID)
    expect(record.createdAt).toBe(CREATED_AT)
    expect(record.status).toBe('created')
    expect(record.running).toBe(false)
    expect(record.exitCode).toBeNull()
    expect(record.pid).toBe(0)
    expect(record.canRemove).toBe(false)
    expect(record.startedAt).toBeUndefined()
    expect(record.finishedAt).toBeUndefined()
    expect(record.detached).toBe(false)
    expect(record.startError).toBeUndefined()
  })

  it('defaults createdAt to now', () => {
    const before = Date.now()
    const record = new ExecRecord(ID, makeConfig())
    expect(record.createdAt.getTime()).toBeGreaterThanOrEqual(before)
    expect(record.createdAt.getTime()).toBeLessThanOrEqual(Date.now())
  })

  it('copies the config', () => {
    const config = makeConfig({ detachKeys: Buffer.from([16, 17]), consoleSize: [24, 80] })
    const record = new ExecRecord(ID, config)
    config.cmd.push('extra')
    config.env.length = 0
    config.detachKeys[0] = 0
    config.consoleSize![0] = 1
    expect(record.config.cmd).toEqual(['sh', '-c', 'echo hi'])
    expect(record.config.env).toEqual(['PATH=/usr/bin:/bin'])
    expect([...record.config.detachKeys]).toEqual([16, 17])
    expect(record.config.consoleSize).toEqual([24, 80])
  })

  it.each([
    {
      doc: 'empty id',
      build: () => new ExecRecord('', makeConfig()),
      message: 'invalid exec ID: ""; expected a non-empty string',
    },
    {
      doc: 'empty containerId',
      build: () => makeRecord({ containerId: '' }),
      message: 'invalid exec config containerId: ""; expected a container ID',
    },
    {
      doc: 'empty cmd',
      build: () => makeRecord({ cmd: [] }),
      message: 'invalid exec config cmd: []; expected at least the executable',
    },
  ])('rejects $doc', ({ build, message }) => {
    expect(build).toThrow(InvalidExecArgumentError)
    expect(build).toThrow(message)
  })
})

describe('ExecRecord entrypoint and arguments', () => {
  it.each([
    { cmd: ['sh', '-c', 'true'], entrypoint: 'sh', args: ['-c', 'true'] },
    { cmd: ['ls'], entrypoint: 'ls', args: [] },
    { cmd: [''], entrypoint: '', args: [] },
  ])('splits $cmd', ({ cmd, entrypoint, args }) => {
    const record = makeRecord({ cmd })
    expect(record.entrypoint).toBe(entrypoint)
    expect(record.arguments).toEqual(args)
  })
})

describe('ExecRecord.start', () => {
  it('moves created to running', () => {
    const record = runningRecord()
    expect(record.status).toBe('running')
    expect(record.running).toBe(true)
    expect(record.startedAt).toBe(STARTED_AT)
    expect(record.pid).toBe(0)
    expect(record.exitCode).toBeNull()
  })

  it('rejects a running exec', () => {
    const record = runningRecord()
    const error = catchError(() => record.start())
    expect(error).toBeInstanceOf(ExecConflictError)
    expect(error).toMatchObject({ code: 'EXEC_ALREADY_RUNNING', id: ID })
    expect(error.message).toBe(`exec command ${ID} is already running`)
  })

  it.each([
    { doc: 'finished', end: (record: ExecRecord) => record.finish(0) },
    { doc: 'failed', end: (record: ExecRecord) => record.failStart(126, 'failed') },
  ])('rejects a $doc exec', ({ end }) => {
    const record = runningRecord()
    end(record)
    const error = catchError(() => record.start())
    expect(error).toBeInstanceOf(ExecConflictError)
    expect(error).toMatchObject({ code: 'EXEC_ALREADY_RAN', id: ID })
    expect(error.message).toBe(`exec command ${ID} has already run`)
    expect(record.startedAt).toBe(STARTED_AT)
  })
})

describe('ExecRecord.setPid', () => {
  it('records the pid while running', () => {
    const record = runningRecord()
    record.setPid(4242)
    expect(record.pid).toBe(4242)
  })

  it('records a pid that arrives after the exit', () => {
    const record = runningRecord()
    record.finish(0)
    record.setPid(4242)
    expect(record.pid).toBe(4242)
    expect(record.status).toBe('exited')
  })

  it.each([
    {
      doc: 'created',
      prepare: () => makeRecord(),
      message: `invalid transition for exec ${ID}: setPid is not allowed while it is created`,
    },
    {
      doc: 'failed',
      prepare: () => {
        const record = runningRecord()
        record.failStart(126, 'failed')
        return record
      },
      message:
        `invalid transition for exec ${ID}: ` +
        'setPid is not allowed while it is exited after a failed start',
    },
  ])('rejects a $doc exec', ({ prepare, message }) => {
    const record = prepare()
    const error = catchError(() => record.setPid(7))
    expect(error).toBeInstanceOf(ExecStateError)
    expect(error).toMatchObject({ code: 'EXEC_INVALID_STATE' })
    expect(error.message).toBe(message)
    expect(record.pid).toBe(0)
  })

  it.each([0, -1, 1.5, Number.NaN, 2 ** 32])('rejects pid %s', (pid) => {
    const record = runningRecord()
    const error = catchError(() => record.setPid(pid))
    expect(error).toBeInstanceOf(InvalidExecArgumentError)
    expect(error).toMatchObject({ code: 'EXEC_INVALID_ARGUMENT' })
    expect(error.message).toBe(
      `invalid pid for exec ${ID}: ${pid}; expected a positive integer`,
    )
  })
})

describe('ExecRecord.finish', () => {
  it('moves running to exited', () => {
    const record = runningRecord()
    record.setPid(99)
    expect(record.finish(137, FINISHED_AT)).toBe(true)
    expect(record.status).toBe('exited')
    expect(record.running).toBe(false)
    expect(record.exitCode).toBe(137)
    expect(record.finishedAt).toBe(FINISHED_AT)
    expect(record.pid).toBe(99)
    expect(record.startError).toBeUndefined()
  })

  it('ignores a second exit', () => {
    const record = runningRecord()
    record.finish(3, FINISHED_AT)
    expect(record.finish(4)).toBe(false)
    expect(record.exitCode).toBe(3)
    expect(record.finishedAt).toBe(FINISHED_AT)
  })

  it('rejects a created exec', () => {
    const record = makeRecord()
    const error = catchError(() => record.finish(0))
    expect(error).toBeInstanceOf(ExecStateError)
    expect(error.message).toBe(
      `invalid transition for exec ${ID}: finish is not allowed while it is created`,
    )
    expect(record.status).toBe('created')
  })

  it.each([-1, 0.5, 2 ** 32, Number.POSITIVE_INFINITY])('rejects exit code %s', (code) => {
    const record = runningRecord()
    const error = catchError(() => record.finish(code))
    expect(error).toBeInstanceOf(InvalidExecArgumentError)
    expect(error.message).toBe(
      `invalid exit code for exec ${ID}: ${code}; expected an integer from 0 to 4294967295`,
    )
    expect(record.status).toBe('running')
  })
})

describe('ExecRecord.failStart', () => {
  it('moves running to exited with pid 0', () => {
    const record = runningRecord()
    record.setPid(99)
    expect(record.failStart(127, 'exec: "nope": not found', FINISHED_AT)).toBe(true)
    expect(record.status).toBe('exited')
    expect(record.running).toBe(false)
    expect(record.exitCode).toBe(127)
    expect(record.pid).toBe(0)
    expect(record.startError).toBe('exec: "nope": not found')
    expect(record.finishedAt).toBe(FINISHED_AT)
  })

  it('ignores a failure after the exit', () => {
    const record = runningRecord()
    record.setPid(99)
    record.finish(0)
    expect(record.failStart(126, 'late')).toBe(false)
    expect(record.exitCode).toBe(0)
    expect(record.pid).toBe(99)
    expect(record.startError).toBeUndefined()
  })

  it('rejects a created exec', () => {
    const record = makeRecord()
    const error = catchError(() => record.failStart(126, 'failed'))
    expect(error).toBeInstanceOf(ExecStateError)
    expect(error.message).toBe(
      `invalid transition for exec ${ID}: failStart is not allowed while it is created`,
    )
  })

  it('rejects an invalid exit code', () => {
    const record = runningRecord()
    expect(() => record.failStart(-126, 'failed')).toThrow(InvalidExecArgumentError)
    expect(record.status).toBe('running')
  })
})

describe('ExecRecord.markDetached', () => {
  it('keeps a detached exec running', () => {
    const record = runningRecord()
    expect(record.markDetached()).toBe(true)
    expect(record.detached).toBe(true)
    expect(record.status).toBe('running')
  })

  it('ignores a second detach', () => {
    const record = runningRecord()
    record.markDetached()
    expect(record.markDetached()).toBe(false)
    expect(record.detached).toBe(true)
  })

  it('ignores an exited exec', () => {
    const record = runningRecord()
    record.finish(0)
    expect(record.markDetached()).toBe(false)
    expect(record.detached).toBe(false)
  })

  it('rejects a created exec', () => {
    const record = makeRecord()
    const error = catchError(() => record.markDetached())
    expect(error).toBeInstanceOf(ExecStateError)
    expect(error.message).toBe(
      `invalid transition for exec ${ID}: markDetached is not allowed while it is created`,
    )
  })
})

describe('ExecRecord.markTimedOut', () => {
  it('marks a running exec', () => {
    const changes: string[] = []
    const record = new ExecRecord(ID, makeConfig(), { onChange: (_record, change) => changes.push(change) })
    record.start()
    expect(record.markTimedOut()).toBe(true)
    expect(record.timedOut).toBe(true)
    expect(changes).toEqual(['started', 'timed-out'])
  })

  it('ignores a second mark', () => {
    const record = runningRecord()
    record.markTimedOut()
    expect(record.markTimedOut()).toBe(false)
  })

  it('ignores created and exited execs', () => {
    const created = makeRecord()
    const exited = runningRecord()
    exited.finish(0)
    expect(created.markTimedOut()).toBe(false)
    expect(exited.markTimedOut()).toBe(false)
    expect(exited.timedOut).toBe(false)
  })
})

describe('ExecRecord.markKilled', () => {
  it('marks a running exec once', () => {
    const changes: string[] = []
    const record = new ExecRecord(ID, makeConfig(), { onChange: (_record, change) => changes.push(change) })
    record.start()
    expect([record.markKilled(), record.markKilled()]).toEqual([true, false])
    expect(record.killed).toBe(true)
    expect(changes).toEqual(['started', 'killed'])
  })

  it('ignores created and exited execs', () => {
    const created = makeRecord()
    const exited = runningRecord()
    exited.finish(0)
    expect([created.markKilled(), exited.markKilled()]).toEqual([false, false])
  })

  it('restores a snapshot without the field as not killed', () => {
    const record = makeRecord()
    record.restoreState({ status: 'exited', exitCode: 0, pid: 5, startedAt: undefined, finishedAt: undefined, detached: false, startError: undefined, timedOut: false })
    expect(record.killed).toBe(false)
  })
})

describe('ExecRecord onChange', () => {
  it('reports each change once', () => {
    const changes: ExecRecordChange[] = []
    const record = new ExecRecord(ID, makeConfig(), {
      onChange: (changed, change) => {
        expect(changed).toBe(record)
        changes.push(change)
      },
    })
    record.start()
    record.setPid(5)
    record.markDetached()
    record.markDetached()
    record.finish(0)
    record.finish(1)
    expect(changes).toEqual(['started', 'pid', 'detached', 'exited'])
  })

  it('reports a failed start', () => {
    const changes: ExecRecordChange[] = []
    const record = new ExecRecord(ID, makeConfig(), {
      onChange: (_record, change) => changes.push(change),
    })
    record.start()
    record.failStart(126, 'failed')
    expect(changes).toEqual(['started', 'start-failed'])
  })

  it('applies the change before the callback runs', () => {
    const seen: string[] = []
    const record = new ExecRecord(ID, makeConfig(), {
      onChange: (changed) => seen.push(changed.status),
    })
    record.start()
    record.finish(0)
    expect(seen).toEqual(['running', 'exited'])
  })
})

function catchError(action: () => unknown): Error {
  try {
    action()
  } catch (error) {
    if (error instanceof Error) {
      return error
    }

    throw new Error(`expected an Error, got ${String(error)}`)
  }

  throw new Error('expected the action to throw')
}
