// dexec's test containers, made with `ctr` from a full OCI spec so that they have a hostname,
// as every Docker container has. `ctr run --rootfs` has no flag for it.

import { writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'

import {
  buildBusyboxRootfs,
  ctr,
  DEFAULT_PATH,
  waitFor,
  type ContainerdInstance,
} from '@dexec/testkit'

/** Options of createSpecContainer. */
export interface SpecContainerOptions {
  id: string
  hostname: string
  labels: Record<string, string>
  /** Start the task as well (default true). */
  running?: boolean
}

/**
 * Creates a busybox container in namespace `default` from containerd's default spec, with the
 * hostname, a per-instance runc root and cgroup path, and `tail -f /dev/null` as its process.
 */
export async function createSpecContainer(
  containerd: ContainerdInstance,
  options: SpecContainerOptions,
): Promise<void> {
  const specPath = await writeSpec(containerd, options)
  const labels = Object.entries(options.labels).flatMap(([key, value]) => [
    '--label',
    `${key}=${value}`,
  ])
  const args =
    options.running === false
      ? ['containers', 'create', '--config', specPath, ...labels, options.id]
      : [
          'run',
          '-d',
          '--config',
          specPath,
          '--runc-root',
          containerd.runcRoot,
          '--fifo-dir',
          containerd.fifoDir,
          ...labels,
          options.id,
        ]
  await ctr(containerd.address, 'default', args)
}

async function writeSpec(containerd: ContainerdInstance, options: SpecContainerOptions) {
  const rootfs = await buildBusyboxRootfs(
    join(containerd.directory, 'rootfs', 'default', options.id),
  )
  const spec = JSON.parse(await ctr(containerd.address, 'default', ['oci', 'spec'])) as {
    root: { path: string }
    hostname?: string
    process: { args: string[]; env?: string[] }
    linux: { cgroupsPath?: string }
  }
  spec.root.path = rootfs
  spec.hostname = options.hostname
  spec.process.args = ['tail', '-f', '/dev/null']
  spec.process.env = [`PATH=${DEFAULT_PATH}`]
  // ctr's default cgroup path `/default/<id>` is shared by every containerd on the host.
  spec.linux.cgroupsPath = `/${containerd.tag}-default-${options.id}`
  const directory = join(containerd.directory, 'specs')
  await mkdir(directory, { recursive: true })
  const specPath = join(directory, `${options.id}.json`)
  await writeFile(specPath, JSON.stringify(spec))
  return specPath
}

/** Kills the task of container `id` with SIGKILL and waits until containerd reports it stopped. */
export async function killSpecContainer(containerd: ContainerdInstance, id: string): Promise<void> {
  const run = (args: string[]) => ctr(containerd.address, 'default', args)
  await run(['tasks', 'kill', '-s', 'SIGKILL', id])
  const stopped = async () =>
    (await run(['tasks', 'ls']))
      .split('\n')
      .some((line) => line.startsWith(`${id} `) && line.includes('STOPPED'))
  await waitFor(stopped, { what: `task ${id} to stop` })
}
