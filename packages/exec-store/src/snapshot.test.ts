import { describe, expect, it } from 'vitest'

import type { ExecConfig } from './record.js'
import { snapshotOf } from './snapshot.js'
import { ExecStore } from './store.js'

const config: ExecConfig = {
  containerId: 'box',
  cmd: ['sleep', '5'],
  env: ['A=1'],
  user: '',
  workingDir: '',
  tty: false,
  attachStdin: false,
  attachStdout: true,
  attachStderr: true,
  privileged: false,
  detachKeys: Buffer.from([16]),
  consoleSize: null,
  timeoutSeconds: 7,
}

describe('snapshotOf', () => {
  it('copies the state of a running record', () => {
    const store = new ExecStore()
    const record = store.create(config, { id: 'a', now: new Date(1000) })
    record.start(new Date(2000))
    record.setPid(42)
    record.markTimedOut()
    const snapshot = snapshotOf(record)
    expect(snapshot.status).toBe('running')
    expect(snapshot.pid).toBe(42)
    expect(snapshot.timedOut).toBe(true)
    expect(snapshot.createdAt).toEqual(new Date(1000))
    expect(snapshot.startedAt).toEqual(new Date(2000))
    expect(snapshot.config.timeoutSeconds).toBe(7)
  })
})

describe('ExecStore.restore', () => {
  const cases = [
    { name: 'running', finish: false, listed: true },
    { name: 'exited', finish: true, listed: false },
  ]
  for (const { name, finish, listed } of cases) {
    it(`rebuilds a ${name} record`, () => {
      const source = new ExecStore()
      const record = source.create(config, { id: 'a' })
      record.start()
      record.setPid(42)
      if (finish) record.finish(3)
      const changes: string[] = []
      const target = new ExecStore({ onChange: (_record, change) => changes.push(change) })
      const restored = target.restore(snapshotOf(record))
      expect(snapshotOf(restored)).toEqual(snapshotOf(record))
      expect(target.isListed('a')).toBe(listed)
      expect(changes).toEqual([])
    })
  }

  it('reports changes after the restore', () => {
    const source = new ExecStore()
    const record = source.create(config, { id: 'a' })
    record.start()
    const changes: string[] = []
    const target = new ExecStore({ onChange: (_record, change) => changes.push(change) })
    target.restore(snapshotOf(record)).finish(0)
    expect(changes).toEqual(['exited'])
    expect(target.execIdsOf('box')).toBeNull()
  })

  it('rejects a stored ID', () => {
    const store = new ExecStore()
    const record = store.create(config, { id: 'a' })
    expect(() => store.restore(snapshotOf(record))).toThrow(/a/)
  })
})
