import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import Database from 'better-sqlite3'
import { ExecStore, snapshotOf, type ExecConfig } from '@dexec/exec-store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { ExecDb, SCHEMA_VERSION } from './exec-db.js'

const config: ExecConfig = {
  containerId: 'box',
  cmd: ['sh', '-c', 'exit 3'],
  env: ['PATH=/bin'],
  user: 'nobody',
  workingDir: '/tmp',
  tty: true,
  attachStdin: true,
  attachStdout: true,
  attachStderr: false,
  privileged: false,
  detachKeys: Buffer.from([16, 17]),
  consoleSize: [24, 80],
  timeoutSeconds: 5,
}

let directory: string
let path: string

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexec-db-'))
  path = join(directory, 'execs.db')
})

afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

describe('ExecDb', () => {
  it('uses WAL and synchronous NORMAL', () => {
    const db = new ExecDb(path)
    expect(db.pragma('journal_mode')).toBe('wal')
    expect(db.pragma('synchronous')).toBe(1)
    db.close()
  })

  it('records the schema version', () => {
    new ExecDb(path).close()
    const raw = new Database(path)
    const row = raw.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number }
    raw.close()
    expect(row.version).toBe(SCHEMA_VERSION)
  })

  it('rejects a newer schema', () => {
    new ExecDb(path).close()
    const raw = new Database(path)
    raw.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION + 1)
    raw.close()
    expect(() => new ExecDb(path)).toThrow(/schema version 2, newer than the supported 1/)
  })

  it('keeps records across a reopen', () => {
    const store = new ExecStore()
    const running = store.create(config, { id: 'a', now: new Date(1_000) })
    running.start(new Date(2_000))
    running.setPid(7)
    const exited = store.create(config, { id: 'b', now: new Date(3_000) })
    exited.start()
    exited.failStart(126, 'not executable')
    const db = new ExecDb(path)
    db.save(snapshotOf(running))
    db.save(snapshotOf(exited))
    db.close()
    const reopened = new ExecDb(path)
    expect(reopened.loadAll()).toEqual([snapshotOf(running), snapshotOf(exited)])
    reopened.close()
  })

  it('replaces a saved record', () => {
    const store = new ExecStore()
    const record = store.create(config, { id: 'a' })
    const db = new ExecDb(path)
    db.save(snapshotOf(record))
    record.start()
    record.setPid(9)
    record.finish(3)
    db.save(snapshotOf(record))
    const loaded = db.loadAll()
    db.close()
    expect(loaded).toHaveLength(1)
    expect(loaded[0]?.exitCode).toBe(3)
  })

  it('deletes records', () => {
    const store = new ExecStore()
    const db = new ExecDb(path)
    db.save(snapshotOf(store.create(config, { id: 'a' })))
    db.delete('a')
    db.delete('unknown')
    expect(db.loadAll()).toEqual([])
    db.close()
  })

  it('rejects a second open until close', () => {
    const first = new ExecDb(path)
    expect(() => new ExecDb(path)).toThrow(
      `exec database ${path} is in use by another dexec server; give each server its own state directory`,
    )
    first.close()
    new ExecDb(path).close()
  })

  it('reports a corrupt row', () => {
    const db = new ExecDb(path)
    db.close()
    const raw = new Database(path)
    raw.prepare("INSERT INTO execs VALUES ('x', 'box', 0, 'created', 'not json')").run()
    raw.close()
    const reopened = new ExecDb(path)
    expect(() => reopened.loadAll()).toThrow(/exec database row x is not a valid exec record/)
    reopened.close()
  })
})
