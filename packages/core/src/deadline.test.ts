import { ExecStore, type ExecConfig, type ExecRecord } from '@dexec/exec-store'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { armDeadline, remainingMsOf } from './deadline.js'

const config: ExecConfig = {
  containerId: 'box',
  cmd: ['sleep', '300'],
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
  timeoutSeconds: 2,
}

function runningRecord(overrides: Partial<ExecConfig> = {}, startedAt = new Date(10_000)): ExecRecord {
  const record = new ExecStore().create({ ...config, ...overrides }, { id: 'a' })
  record.start(startedAt)
  return record
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('armDeadline', () => {
  it('sends TERM at the deadline and KILL after the grace', () => {
    const record = runningRecord()
    const signals: number[] = []
    armDeadline({ record, remainingMs: 2_000, graceMs: 1_000, kill: async (signal) => void signals.push(signal) })
    vi.advanceTimersByTime(1_999)
    expect(signals).toEqual([])
    vi.advanceTimersByTime(1)
    expect(signals).toEqual([15])
    expect(record.timedOut).toBe(true)
    vi.advanceTimersByTime(1_000)
    expect(signals).toEqual([15, 9])
  })

  it('sends no KILL to a process that exited in the grace', () => {
    const record = runningRecord()
    const signals: number[] = []
    armDeadline({ record, remainingMs: 100, graceMs: 1_000, kill: async (signal) => void signals.push(signal) })
    vi.advanceTimersByTime(100)
    record.finish(143)
    vi.advanceTimersByTime(1_000)
    expect(signals).toEqual([15])
  })

  it('does nothing once cancelled', () => {
    const record = runningRecord()
    const signals: number[] = []
    const cancel = armDeadline({ record, remainingMs: 100, graceMs: 100, kill: async (signal) => void signals.push(signal) })
    cancel()
    vi.advanceTimersByTime(1_000)
    expect(signals).toEqual([])
    expect(record.timedOut).toBe(false)
  })

  it('waits past the longest timer of Node', () => {
    const record = runningRecord()
    const signals: number[] = []
    const thirtyDaysMs = 30 * 24 * 3600 * 1000
    armDeadline({ record, remainingMs: thirtyDaysMs, graceMs: 10, kill: async (signal) => void signals.push(signal) })
    vi.advanceTimersByTime(thirtyDaysMs - 1)
    expect(signals).toEqual([])
    vi.advanceTimersByTime(1)
    expect(signals).toEqual([15])
  })
})

describe('remainingMsOf', () => {
  const cases: [string, Partial<ExecConfig>, number, number | null][] = [
    ['no timeout', { timeoutSeconds: undefined }, 10_000, null],
    ['zero timeout', { timeoutSeconds: 0 }, 10_000, null],
    ['fresh start', {}, 10_000, 2_000],
    ['later', {}, 11_500, 500],
    ['past', {}, 13_000, -1_000],
  ]
  for (const [name, overrides, now, expected] of cases) {
    it(`returns ${expected} for ${name}`, () => {
      expect(remainingMsOf(runningRecord(overrides), now)).toBe(expected)
    })
  }
})
