import type { ExecInspectResponse } from '@dexec/api-types'
import type { ExecRecord } from '@dexec/exec-store'

import type { ContainerStatus, ContainerView } from './containers.js'

/** The body of GET /exec/{id}/json, with Docker's field order. */
export type ExecInspect = ExecInspectResponse

/** Renders an exec record as Docker's exec inspect body. */
export function renderExecInspect(record: ExecRecord): ExecInspect {
  const { config } = record
  const processConfig: ExecInspect['ProcessConfig'] = {
    tty: config.tty,
    entrypoint: record.entrypoint,
    arguments: record.arguments,
    privileged: config.privileged,
  }
  if (config.user) processConfig.user = config.user
  return {
    ID: record.id,
    Running: record.running,
    ExitCode: record.exitCode,
    ProcessConfig: processConfig,
    OpenStdin: config.attachStdin,
    OpenStderr: config.attachStderr,
    OpenStdout: config.attachStdout,
    CanRemove: record.canRemove,
    ContainerID: config.containerId,
    DetachKeys: config.detachKeys.toString('base64'),
    Pid: record.pid,
    CreatedAt: record.createdAt.toISOString(),
    TimedOut: record.timedOut,
  }
}

const ZERO_TIME = '0001-01-01T00:00:00Z'

// Docker's summary Status, without the durations and exit code that Docker adds.
const SUMMARY_STATUS: Record<ContainerStatus, string> = {
  created: 'Created',
  running: 'Up',
  paused: 'Up (Paused)',
  exited: 'Exited',
}

/**
 * Renders the container inspect fields that Docker clients read around exec. `startedAt` is
 * when the container's init process started, when known.
 */
export function renderContainerInspect(
  view: ContainerView,
  execIds: string[] | null,
  startedAt: Date | null = null,
) {
  const { record, task } = view
  const process = record.spec?.process
  const args = process?.args ?? []
  const running = view.status === 'running' || view.status === 'paused'
  const user = process?.user
  return {
    Id: view.id,
    Created: (record.createdAt ?? new Date(0)).toISOString(),
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: view.status,
      Running: running,
      Paused: view.status === 'paused',
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? (task?.pid ?? 0) : 0,
      ExitCode: view.status === 'exited' ? (task?.exitStatus ?? 0) : 0,
      Error: '',
      StartedAt: running && startedAt ? startedAt.toISOString() : ZERO_TIME,
      FinishedAt: task?.exitedAt ? task.exitedAt.toISOString() : ZERO_TIME,
    },
    Image: record.image,
    Name: `/${view.name}`,
    RestartCount: 0,
    Driver: record.snapshotter,
    Platform: 'linux',
    ExecIDs: execIds,
    Config: {
      Hostname: record.spec?.hostname ?? '',
      User: user && (user.uid !== 0 || user.gid !== 0) ? `${user.uid}:${user.gid}` : '',
      Env: process?.env ?? [],
      Cmd: args,
      Image: record.image,
      WorkingDir: process?.cwd ?? '',
      Entrypoint: null,
      Labels: record.labels,
      Tty: process?.terminal ?? false,
      OpenStdin: false,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
    },
    HostConfig: {},
  }
}

/** Renders one entry of GET /containers/json. */
export function renderContainerSummary(view: ContainerView) {
  const args = view.record.spec?.process?.args ?? []
  return {
    Id: view.id,
    Names: [`/${view.name}`],
    Image: view.record.image,
    ImageID: '',
    Command: args.join(' '),
    Created: Math.floor((view.record.createdAt?.getTime() ?? 0) / 1000),
    State: view.status,
    Status: SUMMARY_STATUS[view.status],
    Labels: view.record.labels,
  }
}
