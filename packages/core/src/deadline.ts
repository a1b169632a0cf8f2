import { constants } from 'node:os'

import type { ExecRecord } from '@dexec/exec-store'

/** What armDeadline needs: the record, its limits and a way to signal its process. */
export interface DeadlineOptions {
  record: ExecRecord
  /** Time left until the deadline, in ms; at most 0 means it has passed. */
  remainingMs: number
  /** Time between SIGTERM and SIGKILL, in ms. */
  graceMs: number
  kill(signal: number): Promise<void>
}

/**
 * Stops a process at its deadline: marks the record timed out and sends SIGTERM, then SIGKILL
 * after the grace period if it still runs. Returns the function that cancels both steps, to
 * call once the process exits.
 */
export function armDeadline(options: DeadlineOptions): () => void {
  const { record } = options
  let graceTimer: NodeJS.Timeout | undefined
  const deadlineTimer = setTimeout(() => {
    if (!record.running) return
    record.markTimedOut()
    void options.kill(constants.signals.SIGTERM)
    graceTimer = setTimeout(() => {
      if (record.running) void options.kill(constants.signals.SIGKILL)
    }, options.graceMs)
    graceTimer.unref()
  }, Math.max(0, options.remainingMs))
  deadlineTimer.unref()
  return () => {
    clearTimeout(deadlineTimer)
    clearTimeout(graceTimer)
  }
}

/** Returns the ms left until a record's deadline, or null when it has none. */
export function remainingMsOf(record: ExecRecord, now = Date.now()): number | null {
  const seconds = record.config.timeoutSeconds ?? 0
  if (seconds <= 0) return null
  const startedAt = record.startedAt?.getTime() ?? now
  return startedAt + seconds * 1000 - now
}
