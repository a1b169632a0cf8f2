import { EventEmitter } from 'node:events'

/** One Docker event message as /events streams it. */
export interface DockerEvent {
  Type: 'container'
  Action: string
  Actor: { ID: string; Attributes: Record<string, string> }
  scope: 'local'
  time: number
  timeNano: number
}

/** In-process bus of Docker events; the server streams them, tests subscribe directly. */
export class EventBus {
  private readonly emitter = new EventEmitter()

  constructor() {
    this.emitter.setMaxListeners(0)
  }

  publish(event: DockerEvent): void {
    this.emitter.emit('event', event)
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
  now?: Date
}): DockerEvent {
  const attributes: Record<string, string> = { execID: options.execId, ...options.labels }
  if (options.image) attributes.image = options.image
  attributes.name = options.name
  Object.assign(attributes, options.extra)
  const nowMs = (options.now ?? new Date()).getTime()
  return {
    Type: 'container',
    Action: options.action,
    Actor: { ID: options.containerId, Attributes: attributes },
    scope: 'local',
    time: Math.floor(nowMs / 1000),
    timeNano: nowMs * 1e6,
  }
}
