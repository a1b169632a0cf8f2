import { validateOptions } from './options.js'
import type {
  GcClock,
  GcEntry,
  GcStats,
  GcStore,
  GcTimer,
  GcTimers,
  TwoPhaseGcOptions,
} from './options.js'

const DEFAULT_INTERVAL_MS = 300_000

const globalTimers: GcTimers = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (timer) => clearInterval(timer as ReturnType<typeof setInterval>),
}

const systemClock: GcClock = { now: () => Date.now() }

/**
 * Periodic two-phase cleanup. Each pass deletes the entries that the previous pass marked,
 * then marks the exited ones, so an exited entry stays visible for one to two intervals.
 */
export class TwoPhaseGc {
  readonly intervalMs: number
  readonly maxIdleMs: number | undefined
  readonly #store: GcStore
  readonly #clock: GcClock
  readonly #timers: GcTimers
  readonly #onCollect: TwoPhaseGcOptions['onCollect']
  readonly #onError: TwoPhaseGcOptions['onError']
  #timer: GcTimer | undefined

  /** Checks every option first and throws `InvalidGcOptionError` naming the first bad one. */
  constructor(options: TwoPhaseGcOptions) {
    validateOptions(options)
    this.#store = options.store
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
    this.maxIdleMs = options.maxIdleMs
    this.#clock = options.clock ?? systemClock
    this.#timers = options.timers ?? globalTimers
    this.#onCollect = options.onCollect
    this.#onError = options.onError
  }

  /** Tells whether the timer is set. */
  get started(): boolean {
    return this.#timer !== undefined
  }

  /**
   * Sets the repeating timer, so the first pass runs one interval from now. Calling it again
   * while started does nothing. The timer is unref'ed, so it never keeps the process alive.
   */
  start(): void {
    if (this.#timer !== undefined) {
      return
    }

    const timer = this.#timers.setInterval(() => this.#tickFromTimer(), this.intervalMs)
    timer.unref?.()
    this.#timer = timer
  }

  /** Clears the timer. Calling it while stopped does nothing. A later `start()` sets a new one. */
  stop(): void {
    if (this.#timer === undefined) {
      return
    }

    this.#timers.clearInterval(this.#timer)
    this.#timer = undefined
  }

  /**
   * Runs one pass now and returns its counts. It first deletes the entries marked by an earlier
   * pass. Then it marks exited entries that are not listed, and deletes idle created ones.
   */
  tick(): GcStats {
    const stats: GcStats = { marked: 0, removed: 0, expired: 0 }
    const entries = [...this.#store.values()]
    const survivors: GcEntry[] = []

    for (const entry of entries) {
      if (entry.canRemove) {
        this.#store.delete(entry.id)
        stats.removed += 1
      } else {
        survivors.push(entry)
      }
    }

    const now = this.#clock.now()
    for (const entry of survivors) {
      if (this.#isMarkable(entry)) {
        entry.canRemove = true
        stats.marked += 1
      } else if (this.#isIdle(entry, now)) {
        this.#store.delete(entry.id)
        stats.expired += 1
      }
    }

    this.#onCollect?.(stats)
    return stats
  }

  #isMarkable(entry: GcEntry): boolean {
    return entry.status === 'exited' && this.#store.isListed?.(entry.id) !== true
  }

  #isIdle(entry: GcEntry, now: number): boolean {
    if (this.maxIdleMs === undefined || entry.status !== 'created') {
      return false
    }

    return now - entry.createdAt.getTime() > this.maxIdleMs
  }

  #tickFromTimer(): void {
    if (this.#onError === undefined) {
      this.tick()
      return
    }

    try {
      this.tick()
    } catch (error) {
      this.#onError(error)
    }
  }
}
