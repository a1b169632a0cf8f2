import { join } from 'node:path'

import { ctr } from './ctr.js'
import { buildBusyboxRootfs } from './rootfs.js'
import { waitFor } from './wait.js'
import type { ContainerdInstance } from './containerd.js'

/** The PATH that Docker gives a container whose image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Options of createContainer. */
export interface CreateContainerOptions {
  id: string
  namespace?: string
  /** Command of the init process; by default one that runs until killed. */
  command?: string[]
  env?: string[]
  labels?: Record<string, string>
  /** Start the task as well (default true). */
  start?: boolean
}

/** A busybox container created in a test containerd. */
export interface TestContainer {
  readonly id: string
  readonly namespace: string
  readonly rootfs: string
  /** Sends SIGKILL to the task and waits until containerd reports it stopped. */
  kill(): Promise<void>
  /** Kills the task if any and deletes task and container. */
  remove(): Promise<void>
}

/**
 * Creates a busybox container with its own root filesystem copy, using
 * `ctr run --rootfs` so the spec is containerd's default one, as other
 * clients make it.
 */
export async function createContainer(
  containerd: ContainerdInstance,
  options: CreateContainerOptions,
): Promise<TestContainer> {
  const namespace = options.namespace ?? 'default'
  const rootfs = await buildBusyboxRootfs(join(containerd.directory, 'rootfs', namespace, options.id))
  const cgroup = `/${containerd.tag}-${namespace}-${options.id}`
  // `ctr containers create` makes the container without a task; it takes
  // neither --runc-root nor --cgroup, which only matter to a task.
  const taskFlags = ['--runc-root', containerd.runcRoot, '--cgroup', cgroup, '--fifo-dir', containerd.fifoDir]
  const args =
    options.start === false ? ['containers', 'create', '--rootfs'] : ['run', '--rootfs', ...taskFlags, '-d']
  for (const env of [`PATH=${DEFAULT_PATH}`, ...(options.env ?? [])]) args.push('--env', env)
  for (const [key, value] of Object.entries(options.labels ?? {})) args.push('--label', `${key}=${value}`)
  args.push(rootfs, options.id, ...(options.command ?? ['tail', '-f', '/dev/null']))
  await ctr(containerd.address, namespace, args)

  const run = (a: string[]) => ctr(containerd.address, namespace, a)
  return {
    id: options.id,
    namespace,
    rootfs,
    kill: async () => {
      await run(['tasks', 'kill', '-s', 'SIGKILL', options.id])
      await waitFor(async () => taskStopped(await run(['tasks', 'ls']), options.id), {
        what: `task ${options.id} to stop`,
      })
    },
    remove: async () => {
      await run(['tasks', 'kill', '-s', 'SIGKILL', options.id]).catch(() => '')
      await run(['tasks', 'delete', '-f', options.id]).catch(() => '')
      await run(['containers', 'delete', options.id])
    },
  }
}

function taskStopped(taskList: string, id: string): boolean {
  return taskList.split('\n').some((line) => line.split(/\s+/)[0] === id && line.includes('STOPPED'))
}
