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

import type { AppEnv } from '../app.js'
import { engineHeaders } from '../headers.js'

/** Registers GET /events: past events from `since`, then live ones until `until`. */
export function registerEventRoutes(app: Hono<AppEnv>, service: ExecService): void {
  app.get('/events', (c) => {
    const filters = parseEventFilters(c.req.query('filters'))
    const since = parseTimestamp('since', c.req.query('since'))
    const until = parseTimestamp('until', c.req.query('until'))
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
      if (matchesEventFilters(event, filters)) outgoing.write(`${serializeEvent(event, legacy)}\n`)
    }
    for (const event of service.events.past(since)) send(event)
    const nowNano = BigInt(Date.now()) * 1_000_000n
    if (until !== undefined && until <= nowNano) {
      outgoing.end()
      return RESPONSE_ALREADY_SENT
    }
    const unsubscribe = service.events.subscribe(send)
    let timer: NodeJS.Timeout | undefined
    const finish = () => {
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
