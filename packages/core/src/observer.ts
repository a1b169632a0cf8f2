import type { ExecChange, ExecRecord } from '@dexec/exec-store'
import type { GcStats } from '@dexec/gc'
import type { StreamDirection } from '@dexec/stream'

/**
 * Hooks through which an ExecService reports what its event bus does not carry, for metrics
 * and audit logs. Every hook is optional and runs synchronously on the reporting path, so it
 * must return quickly and must not throw.
 */
export interface ExecObserver {
  /** Each state change of an exec record, right after it happened. */
  execChanged?(record: ExecRecord, change: ExecChange): void
  /**
   * Bytes copied by an attached start: `in` from the client to the process's stdin, `out`
   * from its stdout and stderr to the client (payload only). Called once per chunk.
   */
  streamBytes?(execId: string, direction: StreamDirection, bytes: number): void
  /** The counts of one pass of the GC of finished exec records. */
  gcCollected?(stats: GcStats): void
  /** The event stream from containerd works again after it had failed. */
  containerdReconnected?(): void
}

/** Calls the same hook of each observer in turn. */
export function combineObservers(...observers: (ExecObserver | undefined)[]): ExecObserver {
  const present = observers.filter((observer): observer is ExecObserver => observer !== undefined)
  return {
    execChanged: (record, change) => present.forEach((o) => o.execChanged?.(record, change)),
    streamBytes: (execId, direction, bytes) => {
      for (const observer of present) observer.streamBytes?.(execId, direction, bytes)
    },
    gcCollected: (stats) => present.forEach((o) => o.gcCollected?.(stats)),
    containerdReconnected: () => present.forEach((o) => o.containerdReconnected?.()),
  }
}
