import type { ContainerdClient, ExecService } from '@dexec/core'
import { toDexecError } from '@dexec/core'

import { checkFormat, execIdsOf, formatTable } from './containers.js'
import { withService, type Connection } from './daemonless.js'

/** One row of `dexec ps --execs`: an exec process that containerd still has. */
export interface ExecRow {
  ID: string
  ContainerID: string
  Container: string
  Pid: number
  Running: boolean
  /** null while the process runs. */
  ExitCode: number | null
}

/**
 * Runs `dexec ps --execs` and returns what it prints. The rows come from
 * containerd, so they cover the execs of every client (a dexec server, other
 * CLI processes, ctr) but only while containerd keeps the process: an exec
 * whose process was deleted after its exit is not listed. `GET /execs` of a
 * server lists the records it keeps instead.
 */
export async function runPsExecs(connection: Connection, format: string): Promise<string> {
  checkFormat(format)
  const rows = await withService(connection, async ({ service, client }) => listExecRows(service, client))
  if (format === 'json') return rows.map((row) => `${JSON.stringify(row)}\n`).join('')
  return formatTable(
    ['EXEC ID', 'CONTAINER', 'PID', 'STATUS'],
    rows.map((row) => [
      row.ID.slice(0, 12),
      row.Container,
      String(row.Pid),
      row.Running ? 'running' : `exited (${row.ExitCode})`,
    ]),
  )
}

async function listExecRows(service: ExecService, client: ContainerdClient): Promise<ExecRow[]> {
  const containers = (await service.listContainers(false)).sort((a, b) => a.Names[0]!.localeCompare(b.Names[0]!))
  const rows: ExecRow[] = []
  for (const container of containers) {
    for (const execId of await execIdsOf(client, container.Id)) {
      const row = await execRow(client, container.Id, container.Names[0]!.slice(1), execId)
      if (row) rows.push(row)
    }
  }
  return rows
}

async function execRow(client: ContainerdClient, containerId: string, name: string, execId: string) {
  try {
    const state = await client.getProcess(containerId, execId)
    const running = state.status !== 'stopped'
    return {
      ID: execId,
      ContainerID: containerId,
      Container: name,
      Pid: state.pid,
      Running: running,
      ExitCode: running ? null : state.exitStatus,
    }
  } catch (err) {
    // The process was deleted between the listing and this call.
    if (toDexecError(err).kind === 'NOT_FOUND') return undefined
    throw err
  }
}
