import {
  isContainerdError,
  type ContainerdClient,
  type ContainerRecord,
  type ProcessState,
} from '@dexec/containerd'

import {
  DexecError,
  errAmbiguousContainer,
  errContainerNotRunning,
  errContainerPaused,
  errNoSuchContainer,
} from './errors.js'
import type { TaskStateCache } from './task-cache.js'

/** Labels that carry a container's name, as other containerd clients set them. */
export const NAME_LABELS = ['nerdctl/name'] as const

/** Docker's container states, as dexec derives them from containerd's task status. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'exited'

/** A container of the namespace with the state of its task. */
export interface ContainerView {
  id: string
  /** The name without Docker's leading slash: a name label, or the id. */
  name: string
  record: ContainerRecord
  /** The task (init process), or null when the container has none. */
  task: ProcessState | null
  status: ContainerStatus
}

/** Returns a container's name: its name label if it has one, else its id. */
export function containerName(record: ContainerRecord): string {
  for (const label of NAME_LABELS) {
    const name = record.labels[label]
    if (name) return name
  }
  return record.id
}

/**
 * Finds a container by full id (read with `getById`, containerd's Containers.Get unless given),
 * then by name, then by unique id prefix, as Docker resolves references. Throws NOT_FOUND
 * with the reference as given.
 */
export async function resolveContainer(
  client: ContainerdClient,
  ref: string,
  getById: (id: string) => Promise<ContainerRecord> = (id) => client.getContainer(id),
): Promise<ContainerRecord> {
  if (ref === '') throw errNoSuchContainer(ref)
  try {
    return await getById(ref)
  } catch (err) {
    if (!isContainerdError(err, 'NOT_FOUND') && !isContainerdError(err, 'INVALID_ARGUMENT')) throw err
  }
  const name = ref.startsWith('/') ? ref.slice(1) : ref
  const all = await client.listContainers()
  const byName = all.filter((record) => containerName(record) === name && record.id !== name)
  if (byName.length === 1) return byName[0]!
  const byPrefix = all.filter((record) => record.id.startsWith(ref))
  if (byPrefix.length > 1) throw errAmbiguousContainer(ref)
  if (byPrefix.length === 1) return byPrefix[0]!
  throw errNoSuchContainer(ref)
}

/** Reads the task of a container (through the cache) and derives its Docker state. */
export async function viewContainer(tasks: TaskStateCache, record: ContainerRecord): Promise<ContainerView> {
  const task = await tasks.get(record.id)
  if (task?.status === 'unknown') {
    throw new DexecError('SYSTEM', `failed to read the state of container ${record.id}: containerd reports it unknown`)
  }
  return { id: record.id, name: containerName(record), record, task, status: statusOf(task) }
}

/** Returns the view of a running container; `pausedRef` is the name its paused error uses. */
export async function requireRunningView(
  tasks: TaskStateCache,
  container: ContainerRecord,
  pausedRef: string,
): Promise<ContainerView> {
  const view = await viewContainer(tasks, container)
  if (view.status === 'paused') throw errContainerPaused(pausedRef)
  if (view.status !== 'running') throw errContainerNotRunning(view.id)
  return view
}

function statusOf(task: ProcessState | null): ContainerStatus {
  switch (task?.status) {
    case 'running':
      return 'running'
    case 'paused':
    case 'pausing':
      return 'paused'
    case 'stopped':
      return 'exited'
    default:
      return 'created'
  }
}
