import { apiVersionAtLeast } from '@dexec/api-types'
import {
  DexecError,
  matchesEventFilters,
  parseEventFilters,
  type DockerEvent,
  type ExecService,
} from '@dexec/core'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Hono } from 'hono'
import type { Logger } from 'pino'

import type { AppEnv } from '../app.js'
import { engineHeaders } from '../headers.js'

/** How much unread event data one /events client may have queued before events are dropped. */
export const MAX_PENDING_EVENT_BYTES = 1024 * 1024

/** Registers GET /events: past events from `since`, then live ones until `until`. */
export function registerEventRoutes(app: Hono<AppEnv>, service: ExecService, logger: Logger): void {
  app.get('/events', (c) => {
    const filters = parseEventFilters(c.req.query('filters'))
    const since = parseTimestamp('since', c.req.query('since'))
    const until = parseTimestamp('until', c.req.query('until'))
    if (since !== undefined && until !== undefined && since > until) {
      const text = (value: string | undefined) => value ?? ''
      const message = `\`since\` time (${text(c.req.query('since'))}) cannot be after \`until\` time (${text(c.req.query('until'))})`
      throw new DexecError('INVALID_PARAMETER', message)
    }
    const apiVersion = c.get('apiVersion')
    // Events lost their legacy status/id/from fields in API 1.52, which
    // also made JSON Lines the default media type.
    const legacy = !apiVersionAtLeast(apiVersion, '1.52')
    const accept = c.req.header('accept') ?? ''
    const contentType = legacy ? 'application/json' : accept.includes('application/x-ndjson') ? 'application/x-ndjson' : 'application/jsonl'

    const outgoing = c.env.outgoing!
    outgoing.writeHead(200, { ...engineHeaders(), 'Content-Type': contentType })
    outgoing.flushHeaders()
    const send = (event: DockerEvent) => {
      if (until !== undefined && event.timeNano > until) return
      if (!matchesEventFilters(event, filters)) return
      // A subscriber that stops reading loses events instead of growing memory.
      if (outgoing.writableLength > MAX_PENDING_EVENT_BYTES) {
        dropped++
        return
      }
      outgoing.write(`${serializeEvent(event, legacy)}\n`)
    }
    let dropped = 0
    for (const event of service.events.past(since)) send(event)
    const nowNano = BigInt(Date.now()) * 1_000_000n
    if (until !== undefined && until <= nowNano) {
      outgoing.end()
      return RESPONSE_ALREADY_SENT
    }
    const unsubscribe = service.events.subscribe(send)
    let timer: NodeJS.Timeout | undefined
    const finish = () => {
      if (dropped > 0) logger.warn({ dropped }, 'events dropped for a client that stopped reading')
      dropped = 0
      unsubscribe()
      clearTimeout(timer)
      outgoing.end()
    }
    if (until !== undefined) timer = setTimeout(finish, Number((until - nowNano) / 1_000_000n))
    outgoing.once('close', finish)
    return RESPONSE_ALREADY_SENT
  })
}

/**
 * Parses Docker's event timestamps: unix seconds with an optional fraction
 * of up to nine digits (`1700000000.5`). Returns nanoseconds.
 */
export function parseTimestamp(name: string, value: string | undefined): bigint | undefined {
  if (value === undefined || value === '') return undefined
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value)
  if (!match) throw new DexecError('INVALID_PARAMETER', `invalid value for ${name}: ${value}`)
  const fraction = (match[2] ?? '').padEnd(9, '0')
  return BigInt(match[1]!) * 1_000_000_000n + BigInt(fraction)
}

/** Writes an event with Docker's key order; timeNano goes out as an exact integer. */
export function serializeEvent(event: DockerEvent, legacy: boolean): string {
  const body: Record<string, unknown> = {}
  if (legacy) {
    body.status = event.Action
    body.id = event.Actor.ID
    if (event.Actor.Attributes.image) body.from = event.Actor.Attributes.image
  }
  Object.assign(body, {
    Type: event.Type,
    Action: event.Action,
    Actor: event.Actor,
    scope: event.scope,
    time: event.time,
    timeNano: 0,
  })
  const json = JSON.stringify(body)
  return `${json.slice(0, -'0}'.length)}${event.timeNano}}`
}
