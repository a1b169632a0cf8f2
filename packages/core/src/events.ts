import { EventEmitter } from 'node:events'

/** One Docker event message as /events streams it. */
export interface DockerEvent {
  Type: 'container'
  Action: string
  Actor: { ID: string; Attributes: Record<string, string> }
  scope: 'local'
  /** Unix time in seconds. */
  time: number
  /** Unix time in nanoseconds; a bigint because it exceeds 2^53. */
  timeNano: bigint
}

/** How many past events the bus keeps for `since` queries. Docker keeps 256. */
export const EVENT_HISTORY_SIZE = 1024

/**
 * How many bytes of event text the history keeps at most. An action names
 * the whole command, so a few huge commands could otherwise fill memory.
 */
export const EVENT_HISTORY_BYTES = 4 * 1024 * 1024

/** In-process bus of Docker events with a bounded history; the server streams it. */
export class EventBus {
  private readonly emitter = new EventEmitter()
  private readonly history: { event: DockerEvent; bytes: number }[] = []
  private historyBytes = 0

  constructor(
    private readonly historySize = EVENT_HISTORY_SIZE,
    private readonly historyMaxBytes = EVENT_HISTORY_BYTES,
  ) {
    this.emitter.setMaxListeners(0)
  }

  publish(event: DockerEvent): void {
    const bytes = event.Action.length + JSON.stringify(event.Actor).length
    this.history.push({ event, bytes })
    this.historyBytes += bytes
    while (this.history.length > this.historySize || this.historyBytes > this.historyMaxBytes) {
      this.historyBytes -= this.history.shift()!.bytes
    }
    this.emitter.emit('event', event)
  }

  /** Returns the kept events at or after `sinceNano` (all kept events when undefined). */
  past(sinceNano?: bigint): DockerEvent[] {
    if (sinceNano === undefined) return []
    return this.history.map(({ event }) => event).filter((event) => event.timeNano >= sinceNano)
  }

  /** Adds a listener and returns the function that removes it. */
  subscribe(listener: (event: DockerEvent) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }
}

/** Builds an exec event with Docker's attributes: execID, the container labels, image and name. */
export function execEvent(options: {
  action: string
  containerId: string
  execId: string
  labels: Record<string, string>
  image: string
  name: string
  extra?: Record<string, string>
  now?: bigint
}): DockerEvent {
  const attributes: Record<string, string> = { execID: options.execId, ...options.labels }
  if (options.image) attributes.image = options.image
  attributes.name = options.name
  Object.assign(attributes, options.extra)
  const timeNano = options.now ?? nowNano()
  return {
    Type: 'container',
    Action: options.action,
    Actor: { ID: options.containerId, Attributes: sortKeys(attributes) },
    scope: 'local',
    time: Number(timeNano / 1_000_000_000n),
    timeNano,
  }
}

/**
 * Returns the current time in nanoseconds since the epoch. Date.now() gives
 * milliseconds, so the sub-millisecond digits come from the monotonic clock:
 * they order events within a millisecond but are not wall-clock time.
 */
export function nowNano(): bigint {
  const ms = BigInt(Date.now())
  const sub = process.hrtime.bigint() % 1_000_000n
  return ms * 1_000_000n + sub
}

/** Sorts keys by code unit, as Go sorts the attribute keys of an event. */
function sortKeys(record: Record<string, string>): Record<string, string> {
  const byKey = ([a]: [string, string], [b]: [string, string]) => {
    if (a === b) return 0
    return a < b ? -1 : 1
  }
  return Object.fromEntries(Object.entries(record).sort(byKey))
}

/** Docker's event text for a command: entrypoint, a space, then the arguments joined by spaces. */
export function describeCommand(cmd: readonly string[]): string {
  return `${cmd[0] ?? ''} ${cmd.slice(1).join(' ')}`
}
