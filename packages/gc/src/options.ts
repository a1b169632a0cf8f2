import { InvalidGcOptionError } from './errors.js'

/** Lifecycle state of an entry, as in an exec record. */
export type GcEntryStatus = 'created' | 'running' | 'exited'

/** Entry that the cleanup can mark and delete, such as an exec record. */
export interface GcEntry {
  readonly id: string
  /** Flag set by the cleanup on exited entries, which it deletes at its next pass. */
  canRemove: boolean
  readonly status: GcEntryStatus
  readonly createdAt: Date
}

/** Collection that the cleanup works on, such as an exec store. */
export interface GcStore {
  values(): Iterable<GcEntry>
  delete(id: string): void
  /** Tells whether the entry is still in its owner's list. A listed entry is never marked. */
  isListed?(id: string): boolean
}

/** Counts of one pass. */
export interface GcStats {
  /** Exited entries marked removable in this pass. */
  marked: number
  /** Entries deleted because an earlier pass had marked them. */
  removed: number
  /** Created, never started entries deleted because they were idle longer than `maxIdleMs`. */
  expired: number
}

/** Source of the current time in milliseconds since the epoch. */
export interface GcClock {
  now(): number
}

/** Handle of a repeating timer. The cleanup calls `unref` when it is present. */
export interface GcTimer {
  unref?(): unknown
}

/** Timer functions, injectable for tests. The defaults are the global ones. */
export interface GcTimers {
  setInterval(callback: () => void, ms: number): GcTimer
  clearInterval(timer: GcTimer): void
}

/** Options of {@link TwoPhaseGc}. */
export interface TwoPhaseGcOptions {
  store: GcStore
  /** Time between passes in ms, 5 minutes by default as in Docker. */
  intervalMs?: number
  /** Age in ms after which created, never started entries are deleted. Unset means never. */
  maxIdleMs?: number
  /** Clock for the idle check, `Date.now` by default. */
  clock?: GcClock
  timers?: GcTimers
  /** Called after each pass, also after one started with `tick()`. */
  onCollect?: (stats: GcStats) => void
  /**
   * Receives an error thrown by a pass that the timer started. Without it the error is
   * rethrown from the timer callback, which makes it an uncaught exception.
   */
  onError?: (error: unknown) => void
}

// Node clamps setInterval delays above this value to 1 ms, which would run the cleanup nonstop.
const MAX_TIMER_DELAY_MS = 2_147_483_647

/** Checks every option and throws `InvalidGcOptionError` naming the first bad one. */
export function validateOptions(options: TwoPhaseGcOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidGcOptionError('options', options, 'an object with at least `store`')
  }

  const store: unknown = options.store
  if (!hasMethods(store, ['values', 'delete'])) {
    throw new InvalidGcOptionError('store', store, 'an object with values() and delete(id)')
  }

  checkDuration('intervalMs', options.intervalMs, MAX_TIMER_DELAY_MS)
  checkDuration('maxIdleMs', options.maxIdleMs, Number.MAX_SAFE_INTEGER)

  if (options.clock !== undefined && !hasMethods(options.clock, ['now'])) {
    throw new InvalidGcOptionError('clock', options.clock, 'an object with now()')
  }

  const timers = options.timers
  if (timers !== undefined && !hasMethods(timers, ['setInterval', 'clearInterval'])) {
    throw new InvalidGcOptionError('timers', timers, 'an object with setInterval and clearInterval')
  }

  for (const name of ['onCollect', 'onError'] as const) {
    const hook = options[name]
    if (hook !== undefined && typeof hook !== 'function') {
      throw new InvalidGcOptionError(name, hook, 'a function')
    }
  }
}

function checkDuration(option: string, value: number | undefined, max: number): void {
  if (value === undefined) {
    return
  }

  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidGcOptionError(option, value, `a positive integer of ms, at most ${max}`)
  }
}

function hasMethods(value: unknown, names: string[]): boolean {
  if (value === null || typeof value !== 'object') {
    return false
  }

  const record = value as Record<string, unknown>
  return names.every((name) => typeof record[name] === 'function')
}
