import {
  ContainerdClient,
  containerName,
  execEvent,
  matchesEventFilters,
  type DockerEvent,
  type EventFilters,
} from '@dexec/core'

import { CliError, type FlagSpec } from './help.js'
import type { Connection } from './daemonless.js'

/** The flags of `dexec events`. */
export const EVENTS_FLAGS: readonly FlagSpec[] = [
  {
    long: 'filter',
    valueName: 'filter',
    help: 'Filter output based on conditions provided (name=value)',
    repeatable: true,
  },
  {
    long: 'format',
    valueName: 'string',
    help: 'output format: "text" or "json" (one object per line)',
    default: 'text',
  },
  {
    long: 'since',
    valueName: 'string',
    help: 'Show only events at or after this time (unix seconds, RFC 3339, or a duration ago such as 10m)',
  },
  {
    long: 'until',
    valueName: 'string',
    help: 'Stop at this time (unix seconds, RFC 3339, or a duration ago)',
  },
]

type ContainerdEvent = ContainerdClient['subscribe'] extends (
  ...args: never[]
) => AsyncIterable<infer E>
  ? E
  : never

// containerd topics that become Docker events. exec-added and exec-started
// carry no command, so exec_create and exec_start have none either.
const TOPICS = ['/tasks/start', '/tasks/exit', '/tasks/exec-added', '/tasks/exec-started']

/** The parsed flags of `dexec events`. */
export interface EventsFlags {
  filter?: string[]
  format?: string
  since?: string
  until?: string
}

/**
 * Streams the namespace's container and exec events, translated from
 * containerd's task events, until SIGINT, SIGTERM or `until`. Writes one
 * line per event and resolves to the exit status.
 */
export async function runEvents(
  connection: Connection,
  flags: EventsFlags,
  write: (line: string) => void,
): Promise<number> {
  const format = flags.format ?? 'text'
  if (format !== 'text' && format !== 'json') {
    throw new CliError(`invalid value "${format}" for --format: expected "text" or "json"`)
  }
  const filters = parseFilterFlags(flags.filter ?? [])
  const now = BigInt(Date.now()) * 1_000_000n
  const since = flags.since ? parseTime('--since', flags.since, now) : undefined
  const until = flags.until ? parseTime('--until', flags.until, now) : undefined
  if (until !== undefined && until <= now) return 0

  const client = new ContainerdClient({
    address: connection.containerd,
    namespace: connection.namespace,
  })
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const timer =
    until === undefined ? undefined : setTimeout(onSignal, Number((until - now) / 1_000_000n))
  const topics = TOPICS.map((topic) => `topic=="${topic}"`)
  try {
    for await (const raw of client.subscribe(topics, stop.signal)) {
      const event = await translate(client, raw)
      if (!event || (since !== undefined && event.timeNano < since)) continue
      if (until !== undefined && event.timeNano > until) break
      if (matchesEventFilters(event, filters))
        write(format === 'json' ? eventJson(event) : eventText(event))
    }
  } catch (err) {
    throw new CliError(`failed to read events from containerd: ${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    client.close()
  }
  return 0
}

/** Turns one containerd task event into a Docker event, or undefined for one that has none. */
async function translate(
  client: ContainerdClient,
  raw: ContainerdEvent,
): Promise<DockerEvent | undefined> {
  const payload = raw.payload ?? {}
  const containerId = String(payload.container_id ?? '')
  const execId = String(payload.exec_id ?? payload.id ?? '')
  let action: string
  let extra: Record<string, string> | undefined
  if (raw.topic === '/tasks/start') action = 'start'
  else if (raw.topic === '/tasks/exec-added') action = 'exec_create'
  else if (raw.topic === '/tasks/exec-started') action = 'exec_start'
  else if (raw.topic === '/tasks/exit') {
    action = execId === containerId ? 'die' : 'exec_die'
    extra = { exitCode: String(payload.exit_status ?? 0) }
  } else return undefined
  const record = await client.getContainer(containerId).catch(() => undefined)
  const event = execEvent({
    action,
    containerId,
    execId,
    labels: record?.labels ?? {},
    image: record?.image ?? '',
    name: record ? containerName(record) : containerId,
    extra,
    now: BigInt(raw.timestamp.getTime()) * 1_000_000n,
  })
  // Container events carry no execID attribute.
  if (!action.startsWith('exec_')) delete event.Actor.Attributes.execID
  return event
}

/** Collects `--filter name=value` flags into the API's filter map. */
export function parseFilterFlags(flags: readonly string[]): EventFilters {
  const filters: EventFilters = {}
  for (const flag of flags) {
    const equals = flag.indexOf('=')
    if (equals <= 0) throw new CliError(`invalid value "${flag}" for --filter: expected name=value`)
    const name = flag.slice(0, equals)
    ;(filters[name] ??= []).push(flag.slice(equals + 1))
  }
  return filters
}

/**
 * Parses a --since or --until value to nanoseconds: unix seconds with an
 * optional fraction, an RFC 3339 time, or a Go duration (`90s`, `1h30m`)
 * counted back from now.
 */
export function parseTime(flag: string, value: string, nowNano: bigint): bigint {
  const seconds = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value)
  if (seconds)
    return BigInt(seconds[1]!) * 1_000_000_000n + BigInt((seconds[2] ?? '').padEnd(9, '0'))
  if (/^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/.test(value)) return nowNano - durationNano(value)
  const ms = Date.parse(value)
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(ms)) return BigInt(ms) * 1_000_000n
  throw new CliError(
    `invalid value "${value}" for ${flag}: expected unix seconds, an RFC 3339 time or a duration`,
  )
}

const UNIT_NANO: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }

function durationNano(text: string): bigint {
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) {
    total += Number(amount) * UNIT_NANO[unit!]!
  }
  return BigInt(Math.round(total))
}

/** Formats an event as `docker events` prints it: time, type, action, id, then attributes. */
export function eventText(event: DockerEvent): string {
  const seconds = event.timeNano / 1_000_000_000n
  const fraction = (event.timeNano % 1_000_000_000n).toString().padStart(9, '0')
  const date = new Date(Number(seconds) * 1000).toISOString().slice(0, 19)
  const attributes = Object.entries(event.Actor.Attributes).map(([key, value]) => `${key}=${value}`)
  return `${date}.${fraction}Z ${event.Type} ${event.Action} ${event.Actor.ID} (${attributes.join(
    ', ',
  )})`
}

/** Formats an event as one JSON object with an exact timeNano. */
export function eventJson(event: DockerEvent): string {
  const body = {
    Type: event.Type,
    Action: event.Action,
    Actor: event.Actor,
    scope: event.scope,
    time: event.time,
    timeNano: 0,
  }
  const json = JSON.stringify(body)
  return `${json.slice(0, -'0}'.length)}${event.timeNano}}`
}
