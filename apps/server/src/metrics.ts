import type { DockerEvent, ExecObserver, ExecService } from '@dexec/core'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The way an exec ended, as the `class` label of dexec_execs_finished_total counts it:
 * - `zero`: the process exited with code 0;
 * - `nonzero`: it exited with another code that does not look like a signal;
 * - `signal`: its code is 129 to 192, which containerd reports for a death by signal 1 to 64
 *   (128 + the signal number);
 * - `start_failure`: the start failed before the process ran (Docker's codes 126 and 127).
 */
export type FinishClass = 'zero' | 'nonzero' | 'signal' | 'start_failure'

const FINISH_CLASSES: FinishClass[] = ['zero', 'nonzero', 'signal', 'start_failure']

// Seconds from the start request to a running process: tens of milliseconds normally, several
// seconds when containerd's shim is busy.
const START_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * Classifies an exit code. NOTE: a process that exits by itself with a code from 129 to 192
 * (a shell after a child's signal, for example) cannot be distinguished and counts as `signal`.
 */
export function classifyExitCode(exitCode: number): Exclude<FinishClass, 'start_failure'> {
  if (exitCode === 0) return 'zero'
  if (exitCode > 128 && exitCode <= 128 + 64) return 'signal'
  return 'nonzero'
}

/**
 * The Prometheus metrics of one dexec server, in a registry of its own so that two servers in
 * one process do not clash. Wire `observer` into the ExecService, then call track() with it.
 */
export class ServerMetrics {
  readonly registry = new Registry()
  readonly observer: ExecObserver
  private readonly created: Counter
  private readonly started: Counter
  private readonly finished: Counter<'class'>
  private readonly startSeconds: Histogram
  private readonly startTimes = new Map<string, bigint>()
  private service: ExecService | undefined

  constructor() {
    const registers = [this.registry]
    this.created = new Counter({
      name: 'dexec_execs_created_total',
      help: 'Execs created.',
      registers,
    })
    this.started = new Counter({
      name: 'dexec_execs_started_total',
      help: 'Exec starts that moved an exec to running, including those that failed to launch.',
      registers,
    })
    this.finished = new Counter({
      name: 'dexec_execs_finished_total',
      help: 'Execs that ended, by class: zero, nonzero, signal (exit code 129-192), start_failure.',
      labelNames: ['class'],
      registers,
    })
    for (const finishClass of FINISH_CLASSES) this.finished.labels(finishClass).inc(0)
    this.startSeconds = new Histogram({
      name: 'dexec_exec_start_seconds',
      help: 'Seconds from an accepted exec start request to a running process.',
      buckets: START_BUCKETS,
      registers,
    })
    this.registerGauges()
    this.observer = this.createObserver()
    collectDefaultMetrics({ register: this.registry })
  }

  /** Counts the exec events of the service and reads its running execs at each scrape. */
  track(service: ExecService): () => void {
    this.service = service
    return service.events.subscribe((event) => this.onEvent(event))
  }

  /** Renders every metric in the Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  /** The Content-Type of render()'s output. */
  get contentType(): string {
    return this.registry.contentType
  }

  private registerGauges(): void {
    const metrics = this
    new Gauge({
      name: 'dexec_execs_running',
      help: 'Execs whose process runs or is being started.',
      registers: [this.registry],
      collect() {
        this.set(metrics.service?.store.countByStatus().running ?? 0)
      },
    })
  }

  private createObserver(): ExecObserver {
    const bytes = new Counter({
      name: 'dexec_stream_bytes_total',
      help: 'Bytes copied by attached starts: in = client to stdin, out = output to client.',
      labelNames: ['direction'],
      registers: [this.registry],
    })
    const bytesIn = bytes.labels('in')
    const bytesOut = bytes.labels('out')
    const reconnects = new Counter({
      name: 'dexec_containerd_reconnects_total',
      help: 'Times the event stream from containerd worked again after it had failed.',
      registers: [this.registry],
    })
    const collected = new Counter({
      name: 'dexec_gc_collected_total',
      help: 'Finished exec records deleted by the GC, and created ones deleted as idle.',
      registers: [this.registry],
    })
    bytesIn.inc(0)
    bytesOut.inc(0)
    return {
      execChanged: (record, change) => this.onChange(record.id, change),
      streamBytes: (_execId, direction, count) => {
        if (direction === 'in') bytesIn.inc(count)
        else bytesOut.inc(count)
      },
      gcCollected: (stats) => collected.inc(stats.removed + stats.expired),
      containerdReconnected: () => reconnects.inc(),
    }
  }

  private onChange(execId: string, change: string): void {
    if (change === 'started') {
      this.startTimes.set(execId, process.hrtime.bigint())
    } else if (change === 'pid') {
      const since = this.startTimes.get(execId)
      this.startTimes.delete(execId)
      if (since === undefined) return
      this.startSeconds.observe(Number(process.hrtime.bigint() - since) / 1e9)
    } else if (change === 'start-failed') {
      this.startTimes.delete(execId)
      this.finished.labels('start_failure').inc()
    }
  }

  private onEvent(event: DockerEvent): void {
    if (event.Action.startsWith('exec_create:')) this.created.inc()
    else if (event.Action.startsWith('exec_start:')) this.started.inc()
    else if (event.Action === 'exec_die') {
      this.finished.labels(classifyExitCode(Number(event.Actor.Attributes.exitCode))).inc()
    }
  }
}
