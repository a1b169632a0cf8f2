import type { ContainerdClient } from '@dexec/containerd'
import type { ExecRecord } from '@dexec/exec-store'

import { resolveContainer } from './containers.js'
import { DexecError, toDexecError } from './errors.js'

/** Filters of GET /execs; each one that is set must match. */
export interface ExecListFilter {
  /** A container id, name or unique id prefix, resolved the way exec create resolves it. */
  container?: string
  running?: boolean
  /** Only execs created at or after this time. */
  since?: Date
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

/**
 * Parses the query of GET /execs: `container`, `running` (true or false) and `since` (Unix
 * seconds, fractions allowed, or an RFC 3339 time). Throws INVALID_PARAMETER naming the value.
 */
export function parseExecListQuery(query: Record<string, string | undefined>): ExecListFilter {
  const filter: ExecListFilter = {}
  if (query.container !== undefined) {
    if (query.container === '') throw invalid('container', query.container, 'a container id or name')
    filter.container = query.container
  }
  if (query.running !== undefined) {
    if (query.running !== 'true' && query.running !== 'false') {
      throw invalid('running', query.running, 'true or false')
    }
    filter.running = query.running === 'true'
  }
  if (query.since !== undefined) filter.since = parseSince(query.since)
  return filter
}

function parseSince(text: string): Date {
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) return new Date(Number(text) * 1000)
  const time = RFC3339.test(text) ? Date.parse(text) : Number.NaN
  if (Number.isNaN(time)) throw invalid('since', text, 'Unix seconds or an RFC 3339 time')
  return new Date(time)
}

function invalid(name: string, value: string, expected: string): DexecError {
  return new DexecError('INVALID_PARAMETER', `invalid filter ${name}=${JSON.stringify(value)}: expected ${expected}`)
}

/** Tells whether a record matches every set filter; `containerId` is the resolved `container`. */
export function matchesExecFilter(record: ExecRecord, filter: ExecListFilter, containerId?: string): boolean {
  if (containerId !== undefined && record.config.containerId !== containerId) return false
  if (filter.running !== undefined && record.running !== filter.running) return false
  if (filter.since !== undefined && record.createdAt.getTime() < filter.since.getTime()) return false
  return true
}

/**
 * Resolves the `container` filter to a full id. A container that no longer exists still
 * matches the records whose container id equals the reference.
 */
export async function resolveFilterContainer(client: ContainerdClient, ref: string): Promise<string> {
  try {
    return (await resolveContainer(client, ref)).id
  } catch (err) {
    if (toDexecError(err).kind === 'NOT_FOUND') return ref
    throw toDexecError(err)
  }
}
