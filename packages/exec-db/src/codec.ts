import type { ExecSnapshot } from '@dexec/exec-store'

import { CorruptRecordError } from './errors.js'

/** The JSON form of a snapshot: dates as epoch milliseconds, the detach keys in base64. */
interface StoredSnapshot extends Omit<ExecSnapshot, 'config' | 'createdAt' | 'startedAt' | 'finishedAt'> {
  config: Omit<ExecSnapshot['config'], 'detachKeys'> & { detachKeys: string }
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
}

/** Encodes a snapshot as the JSON text of its row. */
export function encodeSnapshot(snapshot: ExecSnapshot): string {
  const stored: StoredSnapshot = {
    ...snapshot,
    config: { ...snapshot.config, detachKeys: snapshot.config.detachKeys.toString('base64') },
    createdAt: snapshot.createdAt.getTime(),
    startedAt: snapshot.startedAt?.getTime() ?? null,
    finishedAt: snapshot.finishedAt?.getTime() ?? null,
  }
  return JSON.stringify(stored)
}

/** Decodes the JSON text of a row; throws CorruptRecordError when it is not a snapshot. */
export function decodeSnapshot(id: string, text: string): ExecSnapshot {
  let stored: StoredSnapshot
  try {
    stored = JSON.parse(text) as StoredSnapshot
  } catch (err) {
    throw new CorruptRecordError(id, { cause: err })
  }
  if (typeof stored !== 'object' || stored === null || stored.id !== id || typeof stored.config !== 'object') {
    throw new CorruptRecordError(id)
  }
  return {
    ...stored,
    config: { ...stored.config, detachKeys: Buffer.from(stored.config.detachKeys ?? '', 'base64') },
    createdAt: new Date(stored.createdAt),
    startedAt: stored.startedAt === null ? undefined : new Date(stored.startedAt),
    finishedAt: stored.finishedAt === null ? undefined : new Date(stored.finishedAt),
    startError: stored.startError ?? undefined,
  }
}
