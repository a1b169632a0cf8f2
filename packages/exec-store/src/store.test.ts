import { describe, expect, it } from 'vitest'

import {
  ExecIdGenerationError,
  ExecIdInUseError,
  ExecNotFoundError,
  InvalidExecArgumentError,
} from './errors.js'
import type { ExecConfig, ExecRecord } from './record.js'
import { ExecStore } from './store.js'
import type { ExecChange } from './store.js'

const WEB = 'w'.repeat(64)
const DB = 'd'.repeat(64)
const HEX_ID = /^[0-9a-f]{64}$/

function makeConfig(containerId = WEB): ExecConfig {
  return {
    containerId,
    cmd: ['sh'],
    env: [],
    user: '',
    workingDir: '',
    tty: true,
    attachStdin: true,
    attachStdout: true,
    attachStderr: true,
    privileged: false,
    detachKeys: Buffer.alloc(0),
    consoleSize: null,
  }
}

// Returns the given byte patterns in turn, each repeated to `size` bytes.
function sequenceSource(...patterns: number[][]): (size: number) => Uint8Array {
  let next = 0
  return (size) => {
    const pattern = patterns[Math.min(next, patterns.length - 1)] ?? [0]
    next += 1
    return Uint8Array.from({ length: size }, (_, i) => pattern[i % pattern.length] ?? 0)
  }
}

describe('ExecStore.create ID', () => {
  it('generates 64 lowercase hex digits', () => {
    const store = new ExecStore()
    for (let i = 0; i < 200; i += 1) {
      expect(store.create(makeConfig()).id).toMatch(HEX_ID)
    }
  })

  it('retries a short ID of digits only', () => {
    // 0x12 0x34 ... renders as "123456..." while 0xab renders as "ab".
    const store = new ExecStore({ randomBytes: sequenceSource([0x12, 0x34, 0x56], [0xab]) })
    expect(store.create(makeConfig()).id).toBe('ab'.repeat(32))
  })

  it('retries when a letter appears only after 12 digits', () => {
    const digitsThenLetters = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0xab]
    const store = new ExecStore({ randomBytes: sequenceSource(digitsThenLetters, [0x1a]) })
    expect(store.create(makeConfig()).id).toBe('1a'.repeat(32))
  })

  it('accepts digits when the short ID has a letter', () => {
    const store = new ExecStore({ randomBytes: sequenceSource([0x12, 0x34, 0x5a]) })
    expect(store.create(makeConfig()).id).toBe('12345a'.repeat(11).slice(0, 64))
  })

  it('retries an ID that is taken', () => {
    const store = new ExecStore({ randomBytes: sequenceSource([0xab], [0xab], [0xcd]) })
    store.create(makeConfig())
    expect(store.create(makeConfig()).id).toBe('cd'.repeat(32))
  })

  it('gives up on a broken source', () => {
    let calls = 0
    const store = new ExecStore({
      randomBytes: (size) => {
        calls += 1
        return new Uint8Array(size)
      },
    })
    expect(() => store.create(makeConfig())).toThrow(ExecIdGenerationError)
    expect(calls).toBe(100)
    expect(store.size).toBe(0)
  })

  it('rejects a source of the wrong length', () => {
    const store = new ExecStore({ randomBytes: () => new Uint8Array(16).fill(0xab) })
    expect(() => store.create(makeConfig())).toThrow(ExecIdGenerationError)
  })

  it('asks the source for 32 bytes', () => {
    const sizes: number[] = []
    const store = new ExecStore({
      randomBytes: (size) => {
        sizes.push(size)
        return new Uint8Array(size).fill(0xef)
      },
    })
    store.create(makeConfig())
    expect(sizes).toEqual([32])
  })
})

describe('ExecStore.create', () => {
  it('stores a created record', () => {
    const store = new ExecStore()
    const now = new Date('2026-02-03T04:05:06Z')
    const record = store.create(makeConfig(), { id: 'e1', now })
    expect(record.id).toBe('e1')
    expect(record.createdAt).toBe(now)
    expect(record.status).toBe('created')
    expect(store.get('e1')).toBe(record)
    expect(store.size).toBe(1)
  })

  it('rejects a taken explicit ID', () => {
    const store = new ExecStore()
    const first = store.create(makeConfig(), { id: 'e1' })
    const error = catchError(() => store.create(makeConfig(DB), { id: 'e1' }))
    expect(error).toBeInstanceOf(ExecIdInUseError)
    expect(error.message).toBe(
      'exec ID e1 is already in use; pass another ID or let the store generate one',
    )
    expect(store.get('e1')).toBe(first)
    expect(store.execIdsOf(DB)).toBeNull()
  })

  it('rejects an invalid config', () => {
    const store = new ExecStore()
    expect(() => store.create({ ...makeConfig(), cmd: [] })).toThrow(InvalidExecArgumentError)
    expect(store.size).toBe(0)
    expect(store.execIdsOf(WEB)).toBeNull()
  })
})

describe('ExecStore.get and require', () => {
  it('finds only exact IDs', () => {
    const store = new ExecStore()
    store.create(makeConfig(), { id: 'abcdef' })
    expect(store.get('abc')).toBeUndefined()
    expect(() => store.require('abc')).toThrow(ExecNotFoundError)
  })

  it('names the missing ID', () => {
    const error = catchError(() => new ExecStore().require('nope'))
    expect(error).toMatchObject({ code: 'EXEC_NOT_FOUND', id: 'nope' })
    expect(error.message).toBe('No such exec instance: nope')
  })

  it('returns a stored record', () => {
    const store = new ExecStore()
    const record = store.create(makeConfig())
    expect(store.require(record.id)).toBe(record)
  })
})

describe('ExecStore.execIdsOf', () => {
  it('returns null for a container without execs', () => {
    expect(new ExecStore().execIdsOf(WEB)).toBeNull()
  })

  it('lists created and running execs', () => {
    const store = new ExecStore()
    store.create(makeConfig(), { id: 'a' }).start()
    store.create(makeConfig(), { id: 'b' })
    store.create(makeConfig(DB), { id: 'c' })
    expect(store.execIdsOf(WEB)?.sort()).toEqual(['a', 'b'])
    expect(store.execIdsOf(DB)).toEqual(['c'])
  })

  it.each([
    { doc: 'exit', end: (record: ExecRecord) => record.finish(0) },
    { doc: 'failed start', end: (record: ExecRecord) => record.failStart(126, 'failed') },
  ])('unlists an exec on $doc', ({ end }) => {
    const store = new ExecStore()
    const record = store.create(makeConfig())
    record.start()
    end(record)
    expect(store.execIdsOf(WEB)).toBeNull()
    expect(store.isListed(record.id)).toBe(false)
    expect(store.get(record.id)).toBe(record)
  })

  it('keeps a detached exec listed', () => {
    const store = new ExecStore()
    const record = store.create(makeConfig())
    record.start()
    record.markDetached()
    expect(store.execIdsOf(WEB)).toEqual([record.id])
  })

  it('returns a copy', () => {
    const store = new ExecStore()
    store.create(makeConfig(), { id: 'a' })
    store.execIdsOf(WEB)?.push('b')
    expect(store.execIdsOf(WEB)).toEqual(['a'])
  })
})

describe('ExecStore.release', () => {
  it('unlists and keeps the record', () => {
    const store = new ExecStore()
    const record = store.create(makeConfig())
    expect(store.release(record.id)).toBe(true)
    expect(store.execIdsOf(WEB)).toBeNull()
    expect(store.get(record.id)).toBe(record)
  })

  it.each([
    { doc: 'unknown ID', prepare: () => 'nope' },
    {
      doc: 'second release',
      prepare: (store: ExecStore) => {
        const record = store.create(makeConfig())
        store.release(record.id)
        return record.id
      },
    },
    {
      doc: 'exited exec',
      prepare: (store: ExecStore) => {
        const record = store.create(makeConfig())
        record.start()
        record.finish(0)
        return record.id
      },
    },
  ])('returns false for $doc', ({ prepare }) => {
    const store = new ExecStore()
    expect(store.release(prepare(store))).toBe(false)
  })
})

describe('ExecStore.delete', () => {
  it('removes the record from both indexes', () => {
    const store = new ExecStore()
    const record = store.create(makeConfig())
    expect(store.delete(record.id)).toBe(true)
    expect(store.get(record.id)).toBeUndefined()
    expect(store.execIdsOf(WEB)).toBeNull()
    expect(store.size).toBe(0)
  })

  it('returns false for an unknown ID', () => {
    expect(new ExecStore().delete('nope')).toBe(false)
  })

  it('ignores a deleted record that exits', () => {
    const store = new ExecStore()
    const old = store.create(makeConfig(), { id: 'same' })
    old.start()
    store.delete('same')
    const fresh = store.create(makeConfig(), { id: 'same' })
    old.finish(0)
    expect(store.get('same')).toBe(fresh)
    expect(store.execIdsOf(WEB)).toEqual(['same'])
  })
})

describe('ExecStore.deleteContainer', () => {
  function populate(): { store: ExecStore; ids: Record<string, string> } {
    const store = new ExecStore()
    const created = store.create(makeConfig())
    const running = store.create(makeConfig())
    running.start()
    const exited = store.create(makeConfig())
    exited.start()
    exited.finish(0)
    const other = store.create(makeConfig(DB))
    const ids = { created: created.id, running: running.id, exited: exited.id, other: other.id }
    return { store, ids }
  }

  it('deletes every record of the container', () => {
    const { store, ids } = populate()
    const deleted = store.deleteContainer(WEB).map((record) => record.id)
    expect(deleted.sort()).toEqual([ids.created, ids.running, ids.exited].sort())
    expect(store.listByContainer(WEB)).toEqual([])
    expect(store.execIdsOf(WEB)).toBeNull()
    expect(store.execIdsOf(DB)).toEqual([ids.other])
    expect(store.size).toBe(1)
  })

  it('keeps exited records on request', () => {
    const { store, ids } = populate()
    const deleted = store.deleteContainer(WEB, { keepExited: true }).map((record) => record.id)
    expect(deleted.sort()).toEqual([ids.created, ids.running].sort())
    expect(store.listByContainer(WEB).map((record) => record.id)).toEqual([ids.exited])
    expect(store.execIdsOf(WEB)).toBeNull()
  })

  it('returns nothing for an unknown container', () => {
    expect(new ExecStore().deleteContainer(WEB)).toEqual([])
  })
})

describe('ExecStore listings', () => {
  it('lists a container in any status', () => {
    const store = new ExecStore()
    const a = store.create(makeConfig())
    const b = store.create(makeConfig())
    store.create(makeConfig(DB))
    b.start()
    b.finish(1)
    expect(store.listByContainer(WEB)).toEqual([a, b])
  })

  it('counts by status', () => {
    const store = new ExecStore()
    store.create(makeConfig())
    store.create(makeConfig()).start()
    const done = store.create(makeConfig(DB))
    done.start()
    done.finish(0)
    expect(store.countByStatus()).toEqual({ created: 1, running: 1, exited: 1 })
    expect(store.size).toBe(3)
  })

  it('iterates while deleting', () => {
    const store = new ExecStore()
    for (let i = 0; i < 5; i += 1) {
      store.create(makeConfig())
    }
    for (const record of store.values()) {
      store.delete(record.id)
    }
    expect(store.size).toBe(0)
  })
})

describe('ExecStore onChange', () => {
  it('reports record and index changes', () => {
    const changes: [string, ExecChange][] = []
    const store = new ExecStore({ onChange: (record, change) => changes.push([record.id, change]) })
    const a = store.create(makeConfig(), { id: 'a' })
    a.start()
    a.setPid(10)
    a.markDetached()
    a.finish(0)
    store.release('a')
    store.create(makeConfig(), { id: 'b' })
    store.release('b')
    store.delete('b')
    store.deleteContainer(WEB)
    expect(changes).toEqual([
      ['a', 'created'],
      ['a', 'started'],
      ['a', 'pid'],
      ['a', 'detached'],
      ['a', 'exited'],
      ['b', 'created'],
      ['b', 'released'],
      ['b', 'deleted'],
      ['a', 'deleted'],
    ])
  })

  it('unlists before reporting an exit', () => {
    const listed: boolean[] = []
    const store = new ExecStore({
      onChange: (record, change) => {
        if (change === 'exited') {
          listed.push(store.isListed(record.id))
        }
      },
    })
    const record = store.create(makeConfig())
    record.start()
    record.finish(0)
    expect(listed).toEqual([false])
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
