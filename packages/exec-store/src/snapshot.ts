import type { ExecConfig, ExecRecord, ExecRecordState } from './record.js'

/** Everything a record contains except its callbacks: what a durable store keeps. */
export interface ExecSnapshot extends ExecRecordState {
  id: string
  config: ExecConfig
  createdAt: Date
}

/**
 * Durable storage of exec records. The calls are synchronous, so a change is stored before the
 * code that made it goes on; an implementation that fails throws to that code.
 */
export interface ExecPersistence {
  /** Returns every stored record, in creation order. */
  loadAll(): ExecSnapshot[]
  /** Inserts or replaces the record with the snapshot's ID. */
  save(snapshot: ExecSnapshot): void
  /** Deletes the record; an unknown ID is not an error. */
  delete(id: string): void
}

/** Copies a record's current state into a snapshot. */
export function snapshotOf(record: ExecRecord): ExecSnapshot {
  const config = record.config
  return {
    id: record.id,
    config: {
      ...config,
      cmd: [...config.cmd],
      env: [...config.env],
      detachKeys: Buffer.from(config.detachKeys),
      consoleSize: config.consoleSize === null ? null : [config.consoleSize[0], config.consoleSize[1]],
    },
    createdAt: record.createdAt,
    status: record.status,
    exitCode: record.exitCode,
    pid: record.pid,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    detached: record.detached,
    startError: record.startError,
    timedOut: record.timedOut,
    killed: record.killed,
  }
}
