// One bench run: starts the stack, measures every figure on dexec and dockerd in turn
// (A B A B, so that a load change on the machine hits both alike), adds the floors, and
// returns the raw numbers.

import { cpus, loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

import {
  concurrentRoundtrips,
  outputThroughput,
  roundtrip,
  stdinThroughput,
  type ConcurrentRun,
} from './figures.js'
import { ContainerdFloor, ctrThroughput } from './floors.js'
import { readCpuMs, readRss, RssSampler } from './rss.js'
import { startStack, type Server } from './stack.js'

/** Sizes and repetitions of a run. */
export interface BenchOptions {
  /** Bytes of non-TTY stdout, TTY output, stdin and stalled-reader output per run (whole MiB). */
  sizes: { stdout: number; tty: number; stdin: number; stalled: number }
  /** Sequential roundtrips per server (and for the floor). */
  roundtrips: number
  /** Runs of each throughput figure per server. */
  repetitions: number
  /** Concurrency levels of the concurrent roundtrip figure. */
  concurrency: number[]
  /** Roundtrips each concurrent worker makes one after another. */
  concurrentRounds: number
  /** How long the stalled reader leaves the stream unread, in ms. */
  stallMs: number
  /** Directory for a CPU profile of the dexec child. */
  cpuProfileDir?: string
  /** Node options given to the dexec process. */
  nodeFlags?: string[]
  /** Measure only the figures named here (roundtrip, concurrent, stdout, tty, stdin, stalled). */
  only?: string[]
}

/** Values of one figure for both servers and, where there is one, the floor. */
export interface Samples {
  dexec: number[]
  dockerd: number[]
  floor: number[]
}

/** Raw numbers of a run; the report derives every figure from them. */
export interface BenchResults {
  date: string
  options: BenchOptions
  machine: { cpus: number; loadBefore: number[]; loadAfter: number[] }
  /** Latencies of the sequential roundtrip, in ms. */
  roundtrip: Samples
  /** Throughputs in MiB/s. */
  stdout: Samples
  tty: Samples
  stdin: Samples
  concurrent: Record<string, { dexec: ConcurrentRun[]; dockerd: ConcurrentRun[] }>
  /** RSS in bytes: idle after a warm-up, and the peak of each daemon during each figure. */
  rss: { idle: { dexec: number; dockerd: number }; peak: Record<string, { dexec: number; dockerd: number }> }
  /** CPU time (user plus system) of each daemon per run of each figure, in ms. */
  cpu: Record<string, { dexec: number; dockerd: number }>
  /**
   * RSS growth in bytes with a stalled reader: up to the end of the stall, and up to the end of
   * the stream once the reader has caught up.
   */
  stalled: { dexec: StalledGrowth[]; dockerd: StalledGrowth[] }
}

/** RSS growth of one stalled-reader run, in bytes. */
export interface StalledGrowth {
  stall: number
  total: number
}

type Progress = (line: string) => void

const emptySamples = (): Samples => ({ dexec: [], dockerd: [], floor: [] })

/** Runs the bench and returns its raw numbers. `progress` receives one line per step. */
export async function runBench(options: BenchOptions, progress: Progress = () => {}): Promise<BenchResults> {
  const results: BenchResults = {
    date: new Date().toISOString(),
    options,
    machine: { cpus: cpus().length, loadBefore: loadavg(), loadAfter: [] },
    roundtrip: emptySamples(),
    stdout: emptySamples(),
    tty: emptySamples(),
    stdin: emptySamples(),
    concurrent: {},
    rss: { idle: { dexec: 0, dockerd: 0 }, peak: {} },
    cpu: {},
    stalled: { dexec: [], dockerd: [] },
  }
  progress('starting containerd, dockerd and dexec')
  const stack = await startStack({ cpuProfileDir: options.cpuProfileDir, nodeFlags: options.nodeFlags })
  const floor = new ContainerdFloor(stack.containerd)
  const servers = [stack.dexec, stack.dockerd]
  const samplers = new Map(servers.map((server) => [server.name, new RssSampler(server.pid)]))
  const wanted = (figure: string) => !options.only || options.only.includes(figure)
  try {
    // Warm-up: first calls pay for connections and lazy initialisation on both sides.
    for (let i = 0; i < 3; i++) for (const server of servers) await roundtrip(server)
    await floor.roundtrip()
    await sleep(2000)
    results.rss.idle = { dexec: readRss(stack.dexec.pid), dockerd: readRss(stack.dockerd.pid) }

    /** Runs `measure` on each server in turn, `times` times, with its RSS peak recorded. */
    const alternate = async (figure: string, times: number, measure: (server: Server) => Promise<void>) => {
      const peak = (results.rss.peak[figure] ??= { dexec: 0, dockerd: 0 })
      const cpu = (results.cpu[figure] ??= { dexec: 0, dockerd: 0 })
      for (let i = 0; i < times; i++) {
        for (const server of servers) {
          const sampler = samplers.get(server.name)!
          const cpuBefore = readCpuMs(server.pid)
          sampler.start()
          try {
            await measure(server)
          } finally {
            peak[server.name] = Math.max(peak[server.name], sampler.stop())
            cpu[server.name] += (readCpuMs(server.pid) - cpuBefore) / times
          }
        }
      }
    }

    if (wanted('roundtrip')) {
      progress(`roundtrip: ${options.roundtrips} per server`)
      await alternate('roundtrip', options.roundtrips, async (server) => {
        results.roundtrip[server.name].push(await roundtrip(server))
        if (server.name === 'dockerd') results.roundtrip.floor.push(await floor.roundtrip())
      })
    }
    if (wanted('concurrent')) {
      for (const concurrency of options.concurrency) {
        progress(`concurrent: ${concurrency} workers x ${options.concurrentRounds}`)
        const runs: BenchResults['concurrent'][string] = { dexec: [], dockerd: [] }
        results.concurrent[String(concurrency)] = runs
        await alternate(`concurrent-${concurrency}`, 1, async (server) => {
          runs[server.name].push(await concurrentRoundtrips(server, concurrency, options.concurrentRounds))
          await sleep(500)
        })
      }
    }
    for (const [figure, tty] of [['stdout', false], ['tty', true]] as const) {
      if (!wanted(figure)) continue
      const bytes = options.sizes[figure]
      progress(`${figure}: ${bytes} bytes x ${options.repetitions}`)
      await alternate(figure, options.repetitions, async (server) => {
        results[figure][server.name].push(await outputThroughput(server, bytes, tty))
        if (server.name === 'dockerd') {
          results[figure].floor.push(await ctrThroughput(stack.containerd, bytes, tty))
        }
      })
    }
    if (wanted('stdin')) {
      progress(`stdin: ${options.sizes.stdin} bytes x ${options.repetitions}`)
      await alternate('stdin', options.repetitions, async (server) => {
        results.stdin[server.name].push(await stdinThroughput(server, options.sizes.stdin))
      })
    }
    if (wanted('stalled')) {
      progress(`stalled reader: ${options.sizes.stalled} bytes, ${options.stallMs} ms unread`)
      await alternate('stalled', 1, async (server) => {
        const before = readRss(server.pid)
        const sampler = new RssSampler(server.pid)
        sampler.start()
        let stallPeak = 0
        const ended = () => (stallPeak = sampler.peak)
        await outputThroughput(server, options.sizes.stalled, false, { ms: options.stallMs, ended })
        results.stalled[server.name].push({ stall: stallPeak - before, total: sampler.stop() - before })
      })
    }
  } finally {
    floor.close()
    results.machine.loadAfter = loadavg()
    progress('stopping')
    await stack.stop()
  }
  return results
}
