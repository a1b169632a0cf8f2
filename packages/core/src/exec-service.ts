import { mkdir } from 'node:fs/promises'

import { isContainerdError, type ContainerdClient, type ContainerRecord } from '@dexec/containerd'
import { ExecStore, snapshotOf, type ExecChange, type ExecPersistence, type ExecRecord } from '@dexec/exec-store'
import { TwoPhaseGc } from '@dexec/gc'
import { parseDetachKeys } from '@dexec/stream'

import { requireRunningView, resolveContainer, viewContainer, type ContainerView } from './containers.js'
import { buildExecEnv } from './env.js'
import {
  DexecError,
  errExecNotStarted,
  errExecNotRunning,
  errExecSessionTimeout,
  errNoCommand,
  errNoSuchContainer,
  errNoSuchExec,
  toDexecError,
} from './errors.js'
import { describeCommand, EventBus, execEvent } from './events.js'
import { matchesExecFilter, resolveFilterContainer, type ExecListFilter } from './exec-list.js'
import {
  adoptExec,
  reconcileRunning,
  removeStaleFifos,
  retryWhileUnavailable,
  type RecoveryContext,
} from './exec-recovery.js'
import { runAttachedStart, runDetachedStart, type ClientStreams, type StartContext } from './exec-start.js'
import type { ExecObserver } from './observer.js'
import { processStartTime } from './process-start.js'
import { renderContainerInspect, renderContainerSummary, renderExecInspect, type ExecInspect } from './render.js'
import { parseSignal } from './signals.js'
import { lookupUser } from './user-lookup.js'
import { Semaphore } from './semaphore.js'
import { ContainerRecordCache, TaskStateCache } from './task-cache.js'
import { watchContainers } from './watch.js'
import type { CreateExecRequest, ExecServiceOptions, PreparedStart, StartExecRequest } from './exec-types.js'

export type { CreateExecRequest, ExecServiceOptions, PreparedStart, StartExecRequest } from './exec-types.js'

const SESSION_READY_TIMEOUT_MS = 10_000

/**
 * Docker's exec semantics over one containerd namespace: create, start
 * (attached or detached), resize, inspect, and the container views that
 * Docker clients read around them.
 */
export class ExecService {
  readonly events: EventBus
  readonly store: ExecStore
  private readonly client: ContainerdClient
  private readonly stateDir: string
  private readonly killOnDisconnect: boolean
  private readonly gc: TwoPhaseGc
  private readonly pendingSizes = new Map<string, [number, number]>()
  private readonly tasks: TaskStateCache
  private readonly containers: ContainerRecordCache
  private readonly startSlots = new Map<string, Semaphore>()
  private readonly maxConcurrentStarts: number
  private shuttingDown = false
  private closed = false
  private readonly attachedStarts = new Set<Promise<void>>()
  private readonly onError: NonNullable<ExecServiceOptions['onError']>
  private readonly watcher = new AbortController()
  private readonly observer: ExecObserver | undefined
  private readonly execTimeoutSeconds: number
  private readonly timeoutGraceMs: number
  private readonly persistence: ExecPersistence | undefined

  constructor(options: ExecServiceOptions) {
    this.client = options.client
    this.stateDir = options.stateDir
    this.killOnDisconnect = options.killOnDisconnect ?? true
    this.events = options.events ?? new EventBus()
    this.onError = options.onError ?? (() => {})
    this.observer = options.observer
    this.tasks = new TaskStateCache(this.client)
    this.containers = new ContainerRecordCache(this.client)
    this.maxConcurrentStarts = options.maxConcurrentStarts ?? 4
    this.execTimeoutSeconds = options.execTimeoutSeconds ?? 0
    this.timeoutGraceMs = (options.execTimeoutGraceSeconds ?? 10) * 1000
    this.persistence = options.persistence
    this.store = new ExecStore({
      onChange: (record, change) => {
        this.persist(record, change)
        this.observer?.execChanged?.(record, change)
      },
    })
    this.gc = new TwoPhaseGc({
      store: this.store,
      intervalMs: options.gcIntervalMs ?? 300_000,
      maxIdleMs: options.maxIdleMs,
      onError: (err) => this.onError(err, { operation: 'gc' }),
      onCollect: (stats) => this.observer?.gcCollected?.(stats),
    })
  }

  /**
   * Prepares the state directory, restores the stored records, adopts the execs that were
   * running and starts the GC and the event watch.
   */
  async open(): Promise<void> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 })
    const restored = (this.persistence?.loadAll() ?? []).map((snapshot) => this.store.restore(snapshot))
    const running = restored.filter((record) => record.running)
    await removeStaleFifos(this.stateDir, new Set(running.map((record) => record.id)))
    for (const record of running) void adoptExec(this.recovery(), record)
    void this.pruneRestored(new Set(restored.map((record) => record.config.containerId)))
    this.gc.start()
    void watchContainers(this.client, this.watcher.signal, {
      onEvent: (event) => {
        this.tasks.apply(event)
        this.containers.apply(event)
      },
      onSubscribed: (up) => {
        this.tasks.setTrusted(up)
        this.containers.setTrusted(up)
      },
      onReconnect: () => void reconcileRunning(this.recovery(), this.store.values()),
      onContainerStopped: (id) => this.onContainerStopped(id),
      onContainerDeleted: (id) => this.store.deleteContainer(id),
      onError: (err) => this.onError(err, { operation: 'watch containerd events' }),
      onReconnected: () => this.observer?.containerdReconnected?.(),
    })
  }

  /** Refuses new creates and starts with UNAVAILABLE from now on, ahead of close. */
  beginShutdown(): void {
    this.shuttingDown = true
  }

  /** Stops the GC and the event watch. Running execs are left to finish on their own. */
  close(): void {
    this.closed = true
    this.gc.stop()
    this.watcher.abort()
  }

  /** Returns containerd's version, for /version. */
  containerdVersion(): Promise<{ version: string; revision: string }> {
    return this.client.version()
  }

  /** Creates an exec in a running container and returns its id. */
  async createExec(containerRef: string, request: CreateExecRequest): Promise<string> {
    this.rejectWhileShuttingDown()
    if (!request.Cmd || request.Cmd.length === 0) throw errNoCommand()
    const view = await this.requireRunning(containerRef)
    const process = view.record.spec?.process
    const detachKeys = request.DetachKeys ? parseDetachKeys(request.DetachKeys) : Buffer.alloc(0)
    if (request.User) await lookupUser(view, request.User)
    const env = buildExecEnv({
      hostname: view.record.spec?.hostname ?? '',
      tty: request.Tty,
      containerEnv: process?.env ?? [],
      execEnv: request.Env ?? [],
    })
    const record = this.store.create({
      containerId: view.id,
      cmd: request.Cmd,
      env,
      user: request.User,
      workingDir: request.WorkingDir,
      tty: request.Tty,
      attachStdin: request.AttachStdin,
      attachStdout: request.AttachStdout,
      attachStderr: request.AttachStderr,
      privileged: request.Privileged,
      detachKeys,
      consoleSize: request.ConsoleSize,
      timeoutSeconds: request.Timeout || this.execTimeoutSeconds,
    })
    this.publish(record, view.record, `exec_create: ${describeCommand(request.Cmd)}`)
    return record.id
  }

  /**
   * Checks everything that can fail before a start's stream is opened: the
   * exec exists and its container still runs and is not paused. The result
   * goes to startAttached, so nothing is checked twice.
   */
  async prepareStart(execId: string): Promise<PreparedStart> {
    this.rejectWhileShuttingDown()
    const record = this.store.get(execId)
    if (!record) throw errNoSuchExec(execId)
    const view = await this.requireContainerOf(record)
    return this.startContext(record, view)
  }

  /** Starts an exec without attaching; returns once the process runs. */
  async startDetached(execId: string, request: StartExecRequest): Promise<void> {
    await runDetachedStart(await this.prepareStart(execId), request)
  }

  /**
   * Starts a prepared exec attached to a client connection that is already
   * open (hijacked). Failures from here on are written into the stream, as
   * Docker does once the status line is sent. Resolves when the session ends.
   */
  async startAttached(prepared: PreparedStart, request: StartExecRequest, streams: ClientStreams): Promise<void> {
    const session = runAttachedStart(prepared, request, streams)
    this.attachedStarts.add(session)
    try {
      await session
    } finally {
      this.attachedStarts.delete(session)
    }
  }

  /**
   * Waits up to `timeoutMs` for the attached starts in progress to end, such as those whose
   * client connection was just cut and whose process is being killed. Call it before closing
   * the containerd client, which those kills still need.
   */
  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    await Promise.race([Promise.allSettled([...this.attachedStarts]), timeout])
    clearTimeout(timer)
  }

  /**
   * Resizes an exec's terminal. Before the start, the size is kept and given
   * to the process when it starts. During a start in progress, the resize
   * waits up to 10 s for the process to exist.
   */
  async resizeExec(execId: string, height: number, width: number): Promise<void> {
    const { record } = await this.prepareStart(execId)
    if (record.status === 'created') {
      this.pendingSizes.set(record.id, [height, width])
      return
    }
    await this.waitForStart(record)
    if (record.pid === 0) throw errExecNotStarted()
    try {
      await this.client.resizePty(record.config.containerId, record.id, width, height)
    } catch (err) {
      const error = toDexecError(err)
      // containerd's own text; Docker passes it through for a finished exec.
      if (error.kind === 'NOT_FOUND') throw new DexecError('NOT_FOUND', 'no such exec', { cause: err })
      throw error
    }
  }

  /** Renders an exec for GET /exec/{id}/json. */
  inspectExec(execId: string): ExecInspect {
    const record = this.store.get(execId)
    if (!record) throw errNoSuchExec(execId)
    return renderExecInspect(record)
  }

  /**
   * Sends a signal (a name or number as parseSignal takes it, SIGKILL when empty) to a
   * running exec's process. Throws NOT_FOUND for an unknown exec, CONFLICT when it does not run.
   */
  async killExec(execId: string, signal?: string): Promise<void> {
    const record = this.store.get(execId)
    if (!record) throw errNoSuchExec(execId)
    const number = parseSignal(signal)
    if (!record.running || record.pid === 0) throw errExecNotRunning(execId)
    // Marked before the signal, so that an exit right after it already counts as killed.
    record.markKilled()
    try {
      await this.client.killProcess(record.config.containerId, record.id, number)
    } catch (err) {
      // The process exited between the check and the kill.
      if (isContainerdError(err, 'NOT_FOUND')) throw errExecNotRunning(execId)
      throw toDexecError(err)
    }
  }

  /** Renders the execs that match every filter, oldest first, for GET /execs. */
  async listExecs(filter: ExecListFilter = {}): Promise<ExecInspect[]> {
    const containerId = filter.container === undefined ? undefined : await resolveFilterContainer(this.client, filter.container)
    const records = [...this.store.values()].filter((record) => matchesExecFilter(record, filter, containerId))
    return records.map(renderExecInspect)
  }

  /** Renders a container for GET /containers/{id}/json. */
  async inspectContainer(ref: string) {
    const record = await resolveContainer(this.client, ref)
    const view = await viewContainer(this.tasks, record)
    // containerd does not keep when a task started; its init process does.
    const startedAt = view.task ? await processStartTime(view.task.pid) : null
    return renderContainerInspect(view, this.store.execIdsOf(view.id), startedAt)
  }

  /** Lists containers for GET /containers/json; stopped ones only with `all`. */
  async listContainers(all: boolean) {
    const records = await this.client.listContainers()
    const views = await Promise.all(records.map((record) => viewContainer(this.tasks, record)))
    return views.filter((view) => all || view.status === 'running' || view.status === 'paused').map(renderContainerSummary)
  }

  private startContext(record: ExecRecord, view: ContainerView): StartContext {
    return {
      client: this.client,
      record,
      view,
      stateDir: this.stateDir,
      killOnDisconnect: this.killOnDisconnect,
      publish: (action, extra) => this.publish(record, view.record, action, extra),
      release: () => this.store.release(record.id),
      countBytes: (direction, bytes) => this.observer?.streamBytes?.(record.id, direction, bytes),
      startSlots: this.startSlotsOf(view.id),
      timeoutGraceMs: this.timeoutGraceMs,
      reportError: (err, operation) => {
        // A process that is already gone is the state the cleanup wanted.
        if (isContainerdError(err, 'NOT_FOUND')) return
        this.onError(err, { operation, execId: record.id, containerId: view.id })
      },
      takePendingSize: () => {
        const size = this.pendingSizes.get(record.id) ?? null
        this.pendingSizes.delete(record.id)
        return size
      },
    }
  }

  private recovery(): RecoveryContext {
    return {
      client: this.client,
      stateDir: this.stateDir,
      timeoutGraceMs: this.timeoutGraceMs,
      publish: async (record, action, extra) => {
        // A removed container leaves an event without its labels and image.
        const container = await this.client.getContainer(record.config.containerId).catch(() => null)
        this.publish(record, container ?? { id: record.config.containerId, labels: {}, image: '' }, action, extra)
      },
      reportError: (err, operation, record) =>
        this.onError(err, { operation, execId: record.id, containerId: record.config.containerId }),
    }
  }

  /** Saves each change to the persistence. A failure goes to onError instead of the exec's caller. */
  private persist(record: ExecRecord, change: ExecChange): void {
    // After close the persistence may be closed too; the stored state stays as it was.
    if (!this.persistence || this.closed) return
    try {
      if (change === 'deleted') this.persistence.delete(record.id)
      // A deleted record still reports its exit, which must not store it again.
      else if (this.store.get(record.id) === record) this.persistence.save(snapshotOf(record))
    } catch (err) {
      this.onError(err, { operation: 'store an exec record', execId: record.id, containerId: record.config.containerId })
    }
  }

  /**
   * Applies to restored records what the events missed while no dexec ran: the records of a
   * removed container go, and so do the never started execs of a stopped one.
   */
  private async pruneRestored(containerIds: Set<string>): Promise<void> {
    for (const containerId of containerIds) {
      try {
        const container = await retryWhileUnavailable(() => this.client.getContainer(containerId))
        const view = await viewContainer(this.tasks, container)
        if (view.status !== 'running' && view.status !== 'paused') this.onContainerStopped(containerId)
      } catch (err) {
        if (isContainerdError(err, 'NOT_FOUND')) this.store.deleteContainer(containerId)
        else this.onError(err, { operation: 'check the container of restored execs', containerId })
      }
    }
  }

  private async waitForStart(record: ExecRecord): Promise<void> {
    const deadline = Date.now() + SESSION_READY_TIMEOUT_MS
    while (record.running && record.pid === 0) {
      if (Date.now() > deadline) throw errExecSessionTimeout()
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /**
   * Drops the execs of a stopped container that never started, as Docker
   * does. Running ones stay: their own exit arrives from containerd and
   * completes them with the real exit code.
   */
  private onContainerStopped(containerId: string): void {
    for (const record of this.store.listByContainer(containerId)) {
      if (record.status === 'created') {
        this.store.delete(record.id)
        this.pendingSizes.delete(record.id)
      }
    }
  }

  private rejectWhileShuttingDown(): void {
    if (this.shuttingDown) throw new DexecError('UNAVAILABLE', 'dexec is shutting down; no new execs are accepted')
  }

  private startSlotsOf(containerId: string): Semaphore {
    let slots = this.startSlots.get(containerId)
    if (!slots) {
      slots = new Semaphore(this.maxConcurrentStarts)
      this.startSlots.set(containerId, slots)
    }
    return slots
  }

  private async requireRunning(ref: string): Promise<ContainerView> {
    const record = await resolveContainer(this.client, ref, (id) => this.containers.get(id))
    return requireRunningView(this.tasks, record, ref)
  }

  private async requireContainerOf(record: ExecRecord): Promise<ContainerView> {
    let container: ContainerRecord
    try {
      container = await this.containers.get(record.config.containerId)
    } catch (err) {
      if (toDexecError(err).kind === 'NOT_FOUND') throw errNoSuchContainer(record.id)
      throw toDexecError(err)
    }
    return requireRunningView(this.tasks, container, container.id)
  }

  private publish(
    record: ExecRecord,
    container: Pick<ContainerRecord, 'id' | 'labels' | 'image'>,
    action: string,
    extra?: Record<string, string>,
  ) {
    this.events.publish(
      execEvent({
        action,
        containerId: container.id,
        execId: record.id,
        labels: container.labels,
        image: container.image,
        name: container.labels['nerdctl/name'] ?? container.id,
        extra,
      }),
    )
  }
}
