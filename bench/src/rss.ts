import { readFileSync } from 'node:fs'

/** Returns the resident set size of process `pid` in bytes, from VmRSS in /proc/<pid>/status. */
export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1')
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!match) throw new Error(`no VmRSS line in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

/** Samples the RSS of one process at a fixed interval and keeps the peak. */
export class RssSampler {
  #peak = 0
  #timer: NodeJS.Timeout | undefined

  constructor(
    readonly pid: number,
    readonly intervalMs = 25,
  ) {}

  /** Starts sampling (again), with the peak reset to the current RSS. */
  start(): void {
    this.stop()
    this.#peak = readRss(this.pid)
    this.#timer = setInterval(() => this.#sample(), this.intervalMs)
  }

  /** The peak so far, in bytes. */
  get peak(): number {
    return this.#peak
  }

  /** Stops sampling and returns the peak in bytes, with a last sample taken now. */
  stop(): number {
    if (this.#timer) this.#sample()
    clearInterval(this.#timer)
    this.#timer = undefined
    return this.#peak
  }

  #sample(): void {
    try {
      this.#peak = Math.max(this.#peak, readRss(this.pid))
    } catch {
      // The process has exited, so the peak so far is final.
    }
  }
}

// Linux reports utime and stime in clock ticks, USER_HZ, which is 100 on every common platform.
const TICKS_PER_SECOND = 100

/** Returns the CPU time (user plus system) that process `pid` has used so far, in ms. */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  // The command name (field 2) may contain spaces, so fields are counted after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks * 1000) / TICKS_PER_SECOND
}
