import type { DockerEvent } from './events.js'
import { DexecError } from './errors.js'

/** The `filters` of GET /events, decoded: filter name to accepted values. */
export type EventFilters = Record<string, string[]>

const KNOWN_FILTERS = new Set(['type', 'event', 'container', 'label', 'image', 'scope'])

// Docker matches these event filters by prefix, because their actions carry
// the command after a colon ("exec_create: ls -l").
const PREFIX_MATCHED_EVENTS = new Set(['exec_create', 'exec_start', 'health_status'])

/**
 * Decodes the `filters` query parameter: a JSON object whose values are
 * either lists of strings or (the older form) maps of string to true.
 */
export function parseEventFilters(text: string | undefined): EventFilters {
  if (!text) return {}
  let decoded: unknown
  try {
    decoded = JSON.parse(text)
  } catch (err) {
    throw new DexecError('INVALID_PARAMETER', `invalid filter: ${(err as Error).message}`)
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new DexecError('INVALID_PARAMETER', 'invalid filter: expected a JSON object')
  }
  const filters: EventFilters = {}
  for (const [name, value] of Object.entries(decoded)) {
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) filters[name] = value
    else if (typeof value === 'object' && value !== null) filters[name] = Object.keys(value)
    else throw new DexecError('INVALID_PARAMETER', `invalid filter '${name}': expected a list of strings`)
  }
  return filters
}

/** Tells whether an event passes every filter (values of one filter are alternatives). */
export function matchesEventFilters(event: DockerEvent, filters: EventFilters): boolean {
  const attributes = event.Actor.Attributes
  const checks: Record<string, (value: string) => boolean> = {
    type: (value) => value === event.Type,
    scope: (value) => value === event.scope,
    event: (value) => matchesAction(event.Action, value),
    // Docker matches containers by id or name, exactly or by prefix.
    container: (value) => event.Actor.ID.startsWith(value) || (attributes.name ?? '').startsWith(value),
    image: (value) => value === attributes.image,
    label: (value) => matchesLabel(attributes, value),
  }
  return Object.entries(filters).every(([name, values]) => {
    if (values.length === 0) return true
    // Docker does not validate filter names; one it does not know matches no exec event.
    if (!KNOWN_FILTERS.has(name)) return false
    return values.some((value) => checks[name]!(value))
  })
}

function matchesAction(action: string, value: string): boolean {
  if (action === value) return true
  return PREFIX_MATCHED_EVENTS.has(value) && action.startsWith(`${value}:`)
}

function matchesLabel(attributes: Record<string, string>, value: string): boolean {
  const equals = value.indexOf('=')
  if (equals === -1) return value in attributes
  return attributes[value.slice(0, equals)] === value.slice(equals + 1)
}
