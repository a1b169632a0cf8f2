import { setTimeout as sleep } from 'node:timers/promises'

import type { ContainerdClient, ContainerdEvent } from '@dexec/containerd'

/** The callbacks of watchContainers. */
export interface ContainerWatchHandlers {
  /** Every event of the watched topics, before the specific handlers. */
  onEvent(event: ContainerdEvent): void
  /** The stream was opened (true) or lost (false). */
  onSubscribed(up: boolean): void
  /**
   * A subscription is being opened after a failed one, so events may have been missed.
   * containerd does not confirm a subscription, so this runs before each retry of an outage,
   * and the last call is the one after which the stream stayed up.
   */
  onReconnect(): void
  /** The init process of a container exited. */
  onContainerStopped(containerId: string): void
  onContainerDeleted(containerId: string): void
  /**
   * The event stream failed; the watch subscribes again after a pause. Called
   * once per outage, not for each failed retry.
   */
  onError(err: unknown): void
  /**
   * The stream works again after a failure: a new subscription delivered an event, or stayed
   * open for RECONNECT_CONFIRM_MS. Called once per outage.
   */
  onReconnected?(): void
}

const TOPICS = [
  '/tasks/start',
  '/tasks/exit',
  '/tasks/paused',
  '/tasks/resumed',
  '/tasks/delete',
  '/containers/create',
  '/containers/update',
  '/containers/delete',
].map((topic) => `topic=="${topic}"`)
const MAX_BACKOFF_MS = 5_000
// A subscription to a containerd that is down fails within milliseconds, so one that stays
// open this long is taken as connected.
const RECONNECT_CONFIRM_MS = 1_000

/**
 * Follows containerd's task exits and container deletions until the signal
 * aborts, subscribing again with a growing pause (up to 5 s) whenever the
 * stream fails, for example while containerd restarts.
 * TODO: a container stopped or deleted while the stream is down is not
 * noticed until its next event. Running execs are reconciled through
 * onReconnect, and their Wait is called again after the restart.
 */
export async function watchContainers(
  client: ContainerdClient,
  signal: AbortSignal,
  handlers: ContainerWatchHandlers,
): Promise<void> {
  let backoffMs = 100
  let failing = false
  let confirmTimer: NodeJS.Timeout | undefined
  const confirmReconnect = () => {
    clearTimeout(confirmTimer)
    if (failing) handlers.onReconnected?.()
    failing = false
  }
  while (!signal.aborted) {
    try {
      if (failing) handlers.onReconnect()
      handlers.onSubscribed(true)
      if (failing) confirmTimer = setTimeout(confirmReconnect, RECONNECT_CONFIRM_MS)
      for await (const event of client.subscribe(TOPICS, signal)) {
        backoffMs = 100
        confirmReconnect()
        handlers.onEvent(event)
        const payload = event.payload ?? {}
        if (event.topic === '/tasks/exit' && payload.id === payload.container_id) {
          handlers.onContainerStopped(String(payload.container_id))
        } else if (event.topic === '/containers/delete') {
          handlers.onContainerDeleted(String(payload.id))
        }
      }
    } catch (err) {
      handlers.onSubscribed(false)
      if (signal.aborted) return
      // One report per outage: the retries that follow fail the same way.
      if (!failing) handlers.onError(err)
      failing = true
    } finally {
      clearTimeout(confirmTimer)
    }
    await sleep(backoffMs, undefined, { signal }).catch(() => {})
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)
  }
}
