import { afterEach, describe, expect, it, vi } from 'vitest'

import { TwoPhaseGc } from './two-phase-gc.js'
import type {
  GcEntry,
  GcEntryStatus,
  GcStats,
  GcStore,
  GcTimer,
  TwoPhaseGcOptions,
} from './options.js'

const T0 = Date.parse('2026-01-01T00:00:00Z')

class FakeStore implements GcStore {
  readonly entries = new Map<string, GcEntry>()
  readonly listed = new Set<string>()
  readonly deleted: string[] = []

  add(id: string, status: GcEntryStatus, createdAt = T0): GcEntry {
    const entry: GcEntry = { id, status, createdAt: new Date(createdAt), canRemove: false }
    this.entries.set(id, entry)
    return entry
  }

  values(): Iterable<GcEntry> {
    return this.entries.values()
  }

  delete(id: string): void {
    this.deleted.push(id)
    this.entries.delete(id)
  }

  isListed(id: string): boolean {
    return this.listed.has(id)
  }
}

class FakeTimers {
  readonly set: { callback: () => void; ms: number; timer: GcTimer }[] = []
  readonly cleared: GcTimer[] = []
  unrefCalls = 0

  setInterval(callback: () => void, ms: number): GcTimer {
    const timer: GcTimer = { unref: () => (this.unrefCalls += 1) }
    this.set.push({ callback, ms, timer })
    return timer
  }

  clearInterval(timer: GcTimer): void {
    this.cleared.push(timer)
  }

  fire(): void {
    this.set.at(-1)?.callback()
  }
}

function makeGc(options: Partial<TwoPhaseGcOptions> = {}) {
  const store = new FakeStore()
  const timers = new FakeTimers()
  const clock = { now: () => T0 }
  const gc = new TwoPhaseGc({ store, timers, clock, ...options })
  return { gc, store, timers, clock }
}

describe('TwoPhaseGc.tick', () => {
  it('marks an exited entry first', () => {
    const { gc, store } = makeGc()
    const entry = store.add('e', 'exited')
    expect(gc.tick()).toEqual({ marked: 1, removed: 0, expired: 0 })
    expect(entry.canRemove).toBe(true)
    expect(store.entries.has('e')).toBe(true)
  })

  it('deletes a marked entry next', () => {
    const { gc, store } = makeGc()
    store.add('e', 'exited')
    gc.tick()
    expect(gc.tick()).toEqual({ marked: 0, removed: 1, expired: 0 })
    expect(store.entries.has('e')).toBe(false)
  })

  it('deletes an entry marked elsewhere', () => {
    const { gc, store } = makeGc()
    store.add('e', 'created').canRemove = true
    expect(gc.tick().removed).toBe(1)
    expect(store.deleted).toEqual(['e'])
  })

  it.each(['created', 'running'] as const)('keeps a %s entry', (status) => {
    const { gc, store } = makeGc()
    const entry = store.add('e', status, 0)
    for (let i = 0; i < 5; i += 1) {
      expect(gc.tick()).toEqual({ marked: 0, removed: 0, expired: 0 })
    }
    expect(entry.canRemove).toBe(false)
    expect(store.entries.has('e')).toBe(true)
  })

  it('keeps a listed exited entry', () => {
    const { gc, store } = makeGc()
    const entry = store.add('e', 'exited')
    store.listed.add('e')
    gc.tick()
    expect(entry.canRemove).toBe(false)
    store.listed.delete('e')
    gc.tick()
    expect(entry.canRemove).toBe(true)
  })

  it('marks without isListed', () => {
    const store = new FakeStore()
    const plain: GcStore = { values: () => store.values(), delete: (id) => store.delete(id) }
    const entry = store.add('e', 'exited')
    new TwoPhaseGc({ store: plain }).tick()
    expect(entry.canRemove).toBe(true)
  })

  it('marks an entry that exits between passes', () => {
    const { gc, store } = makeGc()
    let status: GcEntryStatus = 'running'
    const entry = {
      id: 'e',
      canRemove: false,
      createdAt: new Date(T0),
      get status() {
        return status
      },
    }
    store.entries.set('e', entry)
    gc.tick()
    status = 'exited'
    expect(gc.tick().marked).toBe(1)
    expect(gc.tick().removed).toBe(1)
  })
})

describe('TwoPhaseGc idle expiry', () => {
  it.each([
    { doc: 'older created', status: 'created', age: 1_001, expired: 1, kept: false },
    { doc: 'created at the limit', status: 'created', age: 1_000, expired: 0, kept: true },
    { doc: 'younger created', status: 'created', age: 10, expired: 0, kept: true },
    { doc: 'old running', status: 'running', age: 1e9, expired: 0, kept: true },
  ] as const)('handles $doc entry', ({ status, age, expired, kept }) => {
    const { gc, store } = makeGc({ maxIdleMs: 1_000, clock: { now: () => T0 + age } })
    store.add('e', status)
    expect(gc.tick().expired).toBe(expired)
    expect(store.entries.has('e')).toBe(kept)
  })

  it('marks an old exited entry', () => {
    const { gc, store } = makeGc({ maxIdleMs: 1_000, clock: { now: () => T0 + 5_000 } })
    const entry = store.add('e', 'exited')
    expect(gc.tick()).toEqual({ marked: 1, removed: 0, expired: 0 })
    expect(entry.canRemove).toBe(true)
  })

  it('never expires without maxIdleMs', () => {
    const { gc, store } = makeGc({ clock: { now: () => T0 + 1e12 } })
    store.add('e', 'created')
    expect(gc.tick().expired).toBe(0)
  })

  it('reads the clock at each pass', () => {
    let now = T0
    const { gc, store } = makeGc({ maxIdleMs: 60_000, clock: { now: () => now } })
    store.add('e', 'created')
    expect(gc.tick().expired).toBe(0)
    now += 60_001
    expect(gc.tick().expired).toBe(1)
  })
})

describe('TwoPhaseGc onCollect', () => {
  it('reports the counts of each pass', () => {
    const reports: GcStats[] = []
    const { gc, store } = makeGc({
      maxIdleMs: 100,
      clock: { now: () => T0 + 200 },
      onCollect: (stats) => reports.push(stats),
    })
    store.add('x1', 'exited')
    store.add('x2', 'exited')
    store.add('old', 'created')
    store.add('run', 'running')
    const first = gc.tick()
    gc.tick()
    expect(reports).toEqual([
      { marked: 2, removed: 0, expired: 1 },
      { marked: 0, removed: 2, expired: 0 },
    ])
    expect(reports[0]).toBe(first)
    expect([...store.entries.keys()]).toEqual(['run'])
  })
})

describe('TwoPhaseGc start and stop', () => {
  it('sets one unref timer', () => {
    const { gc, timers } = makeGc({ intervalMs: 1_000 })
    gc.start()
    gc.start()
    expect(timers.set).toHaveLength(1)
    expect(timers.set[0]?.ms).toBe(1_000)
    expect(timers.unrefCalls).toBe(1)
    expect(gc.started).toBe(true)
  })

  it('clears the timer once', () => {
    const { gc, timers } = makeGc()
    gc.stop()
    gc.start()
    gc.stop()
    gc.stop()
    expect(timers.cleared).toEqual([timers.set[0]?.timer])
    expect(gc.started).toBe(false)
  })

  it('sets a new timer after stop', () => {
    const { gc, timers } = makeGc()
    gc.start()
    gc.stop()
    gc.start()
    expect(timers.set).toHaveLength(2)
    expect(gc.started).toBe(true)
  })

  it('runs a pass on each timer call', () => {
    const reports: GcStats[] = []
    const { gc, store, timers } = makeGc({ onCollect: (stats) => reports.push(stats) })
    store.add('e', 'exited')
    gc.start()
    timers.fire()
    expect(store.entries.has('e')).toBe(true)
    timers.fire()
    expect(store.entries.has('e')).toBe(false)
    expect(reports.map((stats) => stats.marked + stats.removed)).toEqual([1, 1])
  })

  it('passes timer errors to onError', () => {
    const failure = new Error('delete failed')
    const errors: unknown[] = []
    const { gc, store, timers } = makeGc({ onError: (error) => errors.push(error) })
    store.delete = () => {
      throw failure
    }
    store.add('e', 'exited').canRemove = true
    gc.start()
    timers.fire()
    expect(errors).toEqual([failure])
  })

  it('rethrows timer errors without onError', () => {
    const { gc, store, timers } = makeGc()
    store.delete = () => {
      throw new Error('delete failed')
    }
    store.add('e', 'exited').canRemove = true
    gc.start()
    expect(() => timers.fire()).toThrow('delete failed')
  })

  it('leaves tick errors to the caller', () => {
    const { gc, store } = makeGc({ onError: () => {} })
    store.delete = () => {
      throw new Error('delete failed')
    }
    store.add('e', 'exited').canRemove = true
    expect(() => gc.tick()).toThrow('delete failed')
  })
})

describe('TwoPhaseGc global timers', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('ticks each interval', () => {
    vi.useFakeTimers()
    const store = new FakeStore()
    store.add('e', 'exited')
    const gc = new TwoPhaseGc({ store, intervalMs: 300_000 })
    gc.start()
    vi.advanceTimersByTime(299_999)
    expect(store.entries.get('e')?.canRemove).toBe(false)
    vi.advanceTimersByTime(1)
    expect(store.entries.get('e')?.canRemove).toBe(true)
    vi.advanceTimersByTime(300_000)
    expect(store.entries.has('e')).toBe(false)
    gc.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('unrefs the real timer', () => {
    const handles: ReturnType<typeof setInterval>[] = []
    const gc = new TwoPhaseGc({
      store: new FakeStore(),
      timers: {
        setInterval: (callback, ms) => {
          const handle = setInterval(callback, ms)
          handles.push(handle)
          return handle
        },
        clearInterval: (timer) => clearInterval(timer as ReturnType<typeof setInterval>),
      },
    })
    gc.start()
    expect(handles[0]?.hasRef()).toBe(false)
    gc.stop()
  })
})
