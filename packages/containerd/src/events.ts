import type * as grpc from '@grpc/grpc-js'

import { fromGrpcError } from './errors.js'
import { decodeEventPayload } from './proto.js'

/** One containerd event: its topic (such as `/tasks/exit`) and decoded payload. */
export interface ContainerdEvent {
  timestamp: Date
  namespace: string
  topic: string
  /** The payload's type, such as `containerd.events.TaskExit`. */
  type: string
  /** The decoded payload with proto field names, or undefined when dexec does not model the type. */
  payload: Record<string, unknown> | undefined
}

type StreamMethod = (
  request: object,
  metadata: grpc.Metadata,
) => grpc.ClientReadableStream<any>

/**
 * Streams events from Events.Subscribe as an async iterable. Cancelling the
 * call (by the signal, or by leaving the loop) ends the iteration quietly;
 * any other end of the stream throws a ContainerdError.
 */
export async function* subscribeEvents(
  client: grpc.Client,
  filters: string[],
  metadata: grpc.Metadata,
  signal?: AbortSignal,
): AsyncGenerator<ContainerdEvent> {
  if (signal?.aborted) return
  const subscribe = (client as unknown as Record<string, StreamMethod>).Subscribe!.bind(client)
  const call = subscribe({ filters }, metadata)
  let cancelled = false
  const cancel = () => {
    cancelled = true
    call.cancel()
  }
  signal?.addEventListener('abort', cancel, { once: true })
  try {
    for await (const envelope of call) {
      yield toEvent(envelope)
    }
  } catch (err) {
    if (!cancelled) throw fromGrpcError(err, 'Events.Subscribe')
  } finally {
    signal?.removeEventListener('abort', cancel)
    if (!cancelled) call.cancel()
  }
  if (!cancelled) {
    throw fromGrpcError(
      { code: 14, details: 'containerd closed the event stream' },
      'Events.Subscribe',
    )
  }
}

function toEvent(envelope: any): ContainerdEvent {
  const seconds = Number(envelope.timestamp?.seconds ?? 0)
  const nanos = envelope.timestamp?.nanos ?? 0
  const typeUrl: string = envelope.event?.type_url ?? ''
  const value: Buffer = envelope.event?.value ?? Buffer.alloc(0)
  return {
    timestamp: new Date(seconds * 1000 + Math.floor(nanos / 1e6)),
    namespace: envelope.namespace,
    topic: envelope.topic,
    type: typeUrl.slice(typeUrl.lastIndexOf('/') + 1),
    payload: decodeEventPayload(typeUrl, value),
  }
}
