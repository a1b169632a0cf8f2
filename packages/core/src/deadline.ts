import { constants } from 'node:os'

import type { ExecRecord } from '@dexec/exec-store'

// The maximum delay that setTimeout accepts: 2^31 - 1 ms, about 24.8 days.
const MAX_TIMER_MS = 2 ** 31 - 1

/** Options of armDeadline: the record, its limits and the function that signals its process. */
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
  let timer: NodeJS.Timeout | undefined
  const schedule = (delayMs: number, action: () => void) => {
    // Node fires a timer longer than MAX_TIMER_MS after 1 ms, so long waits go in steps.
    const stepMs = Math.min(Math.max(0, delayMs), MAX_TIMER_MS)
    timer = setTimeout(() => (stepMs < delayMs ? schedule(delayMs - stepMs, action) : action()), stepMs)
    timer.unref()
  }
  schedule(options.remainingMs, () => {
    if (!record.running) return
    record.markTimedOut()
    void options.kill(constants.signals.SIGTERM)
    schedule(options.graceMs, () => {
      if (record.running) void options.kill(constants.signals.SIGKILL)
    })
  })
  return () => clearTimeout(timer)
}

/** Returns the ms left until a record's deadline, or null when it has none. */
export function remainingMsOf(record: ExecRecord, now = Date.now()): number | null {
  const seconds = record.config.timeoutSeconds ?? 0
  if (seconds <= 0) return null
  const startedAt = record.startedAt?.getTime() ?? now
  return startedAt + seconds * 1000 - now
}
