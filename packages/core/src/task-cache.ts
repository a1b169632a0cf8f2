import { isContainerdError, type ContainerdClient, type ContainerdEvent, type ProcessState } from '@dexec/containerd'

// Topics after which a container's task state must be read again.
const TASK_TOPICS = new Set(['/tasks/start', '/tasks/paused', '/tasks/resumed', '/tasks/delete', '/containers/delete'])

/**
 * Caches the task state of containers while containerd's event stream is
 * up, so that create and start do not ask containerd each time: Tasks.Get
 * makes the shim run `runc state`, which under load takes seconds.
 * Events about a container's task drop its entry; while the stream is
 * down nothing is cached.
 * NOTE: containerd does not confirm a subscription, so an event in the
 * moment between a (re)subscribe and its registration can be missed and
 * leave a stale entry until the next event of that container.
 */
export class TaskStateCache {
  private readonly entries = new Map<string, ProcessState | null>()
  private readonly generations = new Map<string, number>()
  private readonly inflight = new Map<string, Promise<ProcessState | null>>()
  private trusted = false

  constructor(private readonly client: ContainerdClient) {}

  /** Returns the task of a container, or null when it has none. */
  get(containerId: string): Promise<ProcessState | null> {
    if (this.trusted && this.entries.has(containerId)) return Promise.resolve(this.entries.get(containerId)!)
    let pending = this.inflight.get(containerId)
    if (!pending) {
      pending = this.fetch(containerId).finally(() => this.inflight.delete(containerId))
      this.inflight.set(containerId, pending)
    }
    return pending
  }

  /** Drops what an event makes stale. */
  apply(event: ContainerdEvent): void {
    const payload = event.payload ?? {}
    const containerId = String(payload.container_id ?? payload.id ?? '')
    const initExit = event.topic === '/tasks/exit' && payload.id === payload.container_id
    if (!containerId || (!TASK_TOPICS.has(event.topic) && !initExit)) return
    this.invalidate(containerId)
  }

  /** Turns caching on while the event stream is up, and off (clearing it) while it is down. */
  setTrusted(trusted: boolean): void {
    this.trusted = trusted
    if (!trusted) {
      this.entries.clear()
      for (const id of this.generations.keys()) this.generations.set(id, (this.generations.get(id) ?? 0) + 1)
    }
  }

  private invalidate(containerId: string): void {
    this.entries.delete(containerId)
    this.generations.set(containerId, (this.generations.get(containerId) ?? 0) + 1)
  }

  private async fetch(containerId: string): Promise<ProcessState | null> {
    const generation = this.generations.get(containerId) ?? 0
    let state: ProcessState | null
    try {
      state = await this.client.getProcess(containerId)
    } catch (err) {
      if (!isContainerdError(err, 'NOT_FOUND')) throw err
      state = null
    }
    const unchanged = (this.generations.get(containerId) ?? 0) === generation
    if (this.trusted && unchanged && state?.status !== 'unknown') this.entries.set(containerId, state)
    return state
  }
}
