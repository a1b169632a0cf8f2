import {
  isContainerdError,
  type ContainerdClient,
  type ContainerdEvent,
  type ContainerRecord,
  type ProcessState,
} from '@dexec/containerd'

/**
 * Keeps one value per container, read from containerd, for as long as containerd's event
 * stream is up, so that create and start do not ask containerd each time. An event about a
 * container drops its entry; while the stream is down nothing is kept.
 * NOTE: containerd does not confirm a subscription, so an event in the moment between a
 * (re)subscribe and its registration can be missed and leave a stale entry until the next
 * event of that container.
 */
abstract class ContainerdStateCache<V> {
  private readonly entries = new Map<string, V>()
  private readonly generations = new Map<string, number>()
  private readonly inflight = new Map<string, Promise<V>>()
  private trusted = false

  /** Returns the value of a container, from the cache when it is there. */
  get(containerId: string): Promise<V> {
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
    const stale = this.staleAfter(event)
    if (stale === 'all') this.clear()
    else if (stale) this.invalidate(stale)
  }

  /** Turns caching on while the event stream is up, and off (clearing it) while it is down. */
  setTrusted(trusted: boolean): void {
    this.trusted = trusted
    if (!trusted) this.clear()
  }

  /** Reads the value of a container from containerd. */
  protected abstract read(containerId: string): Promise<V>

  /** Returns the container whose value `event` makes stale, 'all' for every one, or null. */
  protected abstract staleAfter(event: ContainerdEvent): string | 'all' | null

  /** Tells whether a value just read may be kept. */
  protected keeps(_value: V): boolean {
    return true
  }

  private clear(): void {
    this.entries.clear()
    for (const id of this.generations.keys()) this.generations.set(id, (this.generations.get(id) ?? 0) + 1)
  }

  private invalidate(containerId: string): void {
    this.entries.delete(containerId)
    this.generations.set(containerId, (this.generations.get(containerId) ?? 0) + 1)
  }

  private async fetch(containerId: string): Promise<V> {
    const generation = this.generations.get(containerId) ?? 0
    const value = await this.read(containerId)
    // A read that an event overtook may hold the state from before that event.
    const unchanged = (this.generations.get(containerId) ?? 0) === generation
    if (this.trusted && unchanged && this.keeps(value)) this.entries.set(containerId, value)
    return value
  }
}

/** Container id named by an event's payload: `container_id` for tasks, `id` for containers. */
function containerIdOf(event: ContainerdEvent): string {
  const payload = event.payload ?? {}
  return String(payload.container_id ?? payload.id ?? '')
}

// Topics after which a container's task state must be read again.
const TASK_TOPICS = new Set(['/tasks/start', '/tasks/paused', '/tasks/resumed', '/tasks/delete', '/containers/delete'])

/**
 * Caches the task state of containers. Tasks.Get makes the shim run `runc state`, which under
 * load takes seconds. A container without a task is kept as null.
 */
export class TaskStateCache extends ContainerdStateCache<ProcessState | null> {
  constructor(private readonly client: ContainerdClient) {
    super()
  }

  protected override async read(containerId: string): Promise<ProcessState | null> {
    try {
      return await this.client.getProcess(containerId)
    } catch (err) {
      if (!isContainerdError(err, 'NOT_FOUND')) throw err
      return null
    }
  }

  protected override staleAfter(event: ContainerdEvent): string | null {
    const containerId = containerIdOf(event)
    const payload = event.payload ?? {}
    const initExit = event.topic === '/tasks/exit' && payload.id === payload.container_id
    if (!containerId || (!TASK_TOPICS.has(event.topic) && !initExit)) return null
    return containerId
  }

  protected override keeps(state: ProcessState | null): boolean {
    return state?.status !== 'unknown'
  }
}

/**
 * Caches container records (labels, image, OCI spec), which every create and start reads. A
 * missing container is not cached: its NOT_FOUND goes to the caller each time.
 */
export class ContainerRecordCache extends ContainerdStateCache<ContainerRecord> {
  constructor(private readonly client: ContainerdClient) {
    super()
  }

  protected override read(containerId: string): Promise<ContainerRecord> {
    return this.client.getContainer(containerId)
  }

  protected override staleAfter(event: ContainerdEvent): string | 'all' | null {
    if (!event.topic.startsWith('/containers/')) return null
    // An event whose payload did not decode names no container, so all of them go.
    return containerIdOf(event) || 'all'
  }
}
