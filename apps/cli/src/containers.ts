import type { ContainerdClient, ExecService } from '@dexec/core'
import { toDexecError } from '@dexec/core'

import { CliError, type FlagSpec } from './help.js'
import { withService, type Connection } from './daemonless.js'

/** The flags of `dexec ps` and `dexec inspect`. */
export const FORMAT_FLAG: FlagSpec = {
  long: 'format',
  short: 'f',
  valueName: 'string',
  help: 'output format: "table" or "json"',
  default: 'table',
}

/** One row of `dexec ps`. */
export interface ContainerRow {
  ID: string
  Name: string
  Status: string
  /** Exec processes that containerd reports for the container's task. */
  Execs: number
}

/** Runs `dexec ps` and returns what it prints. */
export async function runPs(connection: Connection, format: string): Promise<string> {
  checkFormat(format)
  const rows = await withService(connection, async ({ service, client }) =>
    listRows(service, client),
  )
  if (format === 'json') return rows.map((row) => `${JSON.stringify(row)}\n`).join('')
  return formatTable(
    ['CONTAINER ID', 'NAME', 'STATUS', 'EXECS'],
    rows.map((row) => [row.ID.slice(0, 12), row.Name, row.Status, String(row.Execs)]),
  )
}

async function listRows(service: ExecService, client: ContainerdClient): Promise<ContainerRow[]> {
  const containers = await service.listContainers(true)
  const rows = await Promise.all(
    containers.map(async (container) => ({
      ID: container.Id,
      Name: container.Names[0]!.slice(1),
      Status: container.Status,
      Execs: container.State === 'created' ? 0 : (await execIdsOf(client, container.Id)).length,
    })),
  )
  return rows.sort((a, b) => a.Name.localeCompare(b.Name))
}

/**
 * Returns the ids of a container's exec processes as containerd reports
 * them, which covers execs of every client, not only of this process.
 * A container without a task has none.
 */
export async function execIdsOf(client: ContainerdClient, containerId: string): Promise<string[]> {
  try {
    const processes = await client.listPids(containerId)
    return processes.flatMap((entry) => (entry.execId ? [entry.execId] : [])).sort()
  } catch (err) {
    if (toDexecError(err).kind === 'NOT_FOUND') return []
    throw err
  }
}

/**
 * Formats rows as Docker's CLI does with its tabwriter: columns padded to
 * the widest cell plus three spaces, the last column unpadded.
 */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows]
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)))
  const lines = all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]! + 3)))
      .join(''),
  )
  return `${lines.join('\n')}\n`
}

/**
 * Runs `dexec inspect` for containers (by id, name or unique prefix) and
 * exec processes (by exec id) and returns Docker's JSON array. Any
 * reference that matches nothing fails the command after the others print.
 */
export async function runInspect(
  connection: Connection,
  refs: string[],
): Promise<{ output: string; missing: string[] }> {
  return withService(connection, async ({ service, client }) => {
    const found: unknown[] = []
    const missing: string[] = []
    for (const ref of refs) {
      const object =
        (await inspectContainer(service, client, ref)) ?? (await inspectExecProcess(client, ref))
      if (object) found.push(object)
      else missing.push(ref)
    }
    return { output: `${JSON.stringify(found, null, 4)}\n`, missing }
  })
}

async function inspectContainer(service: ExecService, client: ContainerdClient, ref: string) {
  try {
    const inspect = await service.inspectContainer(ref)
    // The store of this process contains none of these execs, so ExecIDs come from containerd.
    const execIds = inspect.State.Running ? await execIdsOf(client, inspect.Id) : []
    return { ...inspect, ExecIDs: execIds.length > 0 ? execIds : null }
  } catch (err) {
    if (toDexecError(err).kind === 'NOT_FOUND') return undefined
    throw err
  }
}

/**
 * Renders an exec process that containerd still has, found by its id or a unique prefix of it
 * (`ps --execs` prints 12 characters). NOTE: containerd does not keep an exec's command, user or
 * attach flags, so only the fields it stores are rendered: ID, Running, ExitCode, ContainerID, Pid.
 */
async function inspectExecProcess(client: ContainerdClient, ref: string) {
  if (!/^[0-9a-f]{1,64}$/.test(ref)) return undefined
  const matches: Array<{ containerId: string; execId: string }> = []
  for (const task of await client.listTasks()) {
    // containerd fills only `id` (the container id) in the tasks it lists.
    const containerId = task.containerId || task.id
    for (const execId of await execIdsOf(client, containerId)) {
      if (execId.startsWith(ref)) matches.push({ containerId, execId })
    }
  }
  if (matches.length > 1) {
    throw new CliError(`multiple exec processes match ${ref}: give more of the id`)
  }
  const match = matches[0]
  if (!match) return undefined
  const state = await client.getProcess(match.containerId, match.execId)
  const running = state.status !== 'stopped'
  return {
    ID: match.execId,
    Running: running,
    ExitCode: running ? null : state.exitStatus,
    ContainerID: match.containerId,
    Pid: state.pid,
  }
}

/** Rejects a --format value other than table or json. */
export function checkFormat(format: string): void {
  if (format !== 'table' && format !== 'json') {
    throw new CliError(`invalid value "${format}" for --format: expected "table" or "json"`)
  }
}
