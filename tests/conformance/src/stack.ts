// The test bed: one private containerd, a dockerd on it (namespace `moby`) and dexec on it
// (namespace `default`), each serving a busybox container of the same name.

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import {
  buildBusyboxRootfs,
  ctr,
  startContainerd,
  startDockerd,
  waitFor,
  type ContainerdInstance,
  type DockerdInstance,
} from '@dexec/testkit'

import { createSpecContainer, killSpecContainer } from './containers.js'
import { API_PREFIX, EngineClient } from './engine-client.js'

const execFileAsync = promisify(execFile)
const cliPath = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url))

/** The image that dockerd's containers run, imported from the testkit busybox root filesystem. */
export const DOCKER_IMAGE = 'dexec-conformance:busybox'

/** Label through which dexec finds a container by name, as it finds nerdctl's containers. */
export const NAME_LABEL = 'nerdctl/name'

/** What the normalizer needs to know about a container on one side. */
export interface ContainerFacts {
  readonly name: string
  readonly id: string
  /** HOSTNAME in an exec's env: the short id on dockerd, the container name on dexec. */
  readonly hostname: string
  /** Image reference as events report it, empty when the container has none. */
  readonly image: string
}

/** One of the two servers under test. */
export interface Side {
  readonly name: 'dockerd' | 'dexec'
  readonly client: EngineClient
  readonly containers: Map<string, ContainerFacts>
  /** The newest API version the server serves, from its GET /version. */
  readonly maxApiVersion: string
  /** Creates a busybox container `name`, started unless `running` is false. */
  addContainer(name: string, running: boolean): Promise<void>
  /** Kills the task of container `name` and waits until it is stopped. The container stays. */
  killContainer(name: string): Promise<void>
  /** Freezes (`paused` true) or thaws the task of container `name`. */
  pauseContainer(name: string, paused: boolean): Promise<void>
}

/** Both servers on one containerd, with a running container `demo` on each. */
export interface ConformanceStack {
  readonly containerd: ContainerdInstance
  readonly dockerd: Side
  readonly dexec: Side
  /** Creates a busybox container `name` on both sides, started unless `running` is false. */
  addContainer(name: string, options?: { running?: boolean }): Promise<void>
  /** Kills the task of container `name` on both sides. The containers stay. */
  killContainer(name: string): Promise<void>
  /** Stops dexec, dockerd and containerd and deletes what they left, also after a failed start. */
  stop(): Promise<void>
}

/** Starts containerd, dockerd and dexec, and creates `demo` on both servers. */
export async function startConformanceStack(): Promise<ConformanceStack> {
  const containerd = await startContainerd()
  const cleanups: Array<() => Promise<void>> = [() => containerd.stop()]
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  }
  try {
    const dockerd = await startDockerd(containerd.address)
    cleanups.push(() => dockerd.stop())
    await importImage(dockerd)
    const dexecServer = await startDexec(containerd)
    cleanups.push(dexecServer.stop)

    const docker = await dockerdSide(new EngineClient(dockerd.socketPath))
    if (docker.maxApiVersion !== '1.41') {
      throw new Error(
        `the dockerd in PATH serves API ${docker.maxApiVersion}; the suite needs 1.41`,
      )
    }
    const dexec = await dexecSide(new EngineClient(dexecServer.socketPath), containerd)
    const addContainer = async (name: string, options: { running?: boolean } = {}) => {
      await docker.addContainer(name, options.running ?? true)
      await dexec.addContainer(name, options.running ?? true)
    }
    const killContainer = async (name: string) => {
      await Promise.all([docker.killContainer(name), dexec.killContainer(name)])
    }
    await addContainer('demo')
    return { containerd, dockerd: docker, dexec, addContainer, killContainer, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function maxApiVersion(client: EngineClient): Promise<string> {
  const version = await client.request('GET', '/version', { unversioned: true })
  return (JSON.parse(version.body.toString()) as { ApiVersion: string }).ApiVersion
}

/** dockerd's side: containers made from DOCKER_IMAGE through the Engine API, in namespace moby. */
async function dockerdSide(client: EngineClient): Promise<Side> {
  const side: Side = {
    name: 'dockerd',
    client,
    containers: new Map(),
    maxApiVersion: await maxApiVersion(client),
    addContainer: async (name, running) => {
      side.containers.set(name, await runDockerContainer(client, name, running))
    },
    killContainer: async (name) => {
      await expectStatus(client, 'POST', `/containers/${name}/kill`, 204)
      await waitFor(async () => !(await dockerContainerRunning(client, name)), {
        what: `dockerd container ${name} to stop`,
      })
    },
    pauseContainer: async (name, paused) => {
      await expectStatus(client, 'POST', `/containers/${name}/${paused ? 'pause' : 'unpause'}`, 204)
    },
  }
  return side
}

/**
 * dexec's side: containers made by `ctr` in namespace `default`, with their name as hostname.
 * Their ids get a random suffix, so that an id never equals its name (the normalizer replaces
 * ids), and dexec finds them by the name label.
 */
async function dexecSide(client: EngineClient, containerd: ContainerdInstance): Promise<Side> {
  const side: Side = {
    name: 'dexec',
    client,
    containers: new Map(),
    maxApiVersion: await maxApiVersion(client),
    addContainer: async (name, running) => {
      const id = `${name}-${randomBytes(4).toString('hex')}`
      const labels = { [NAME_LABEL]: name }
      await createSpecContainer(containerd, { id, hostname: name, labels, running })
      side.containers.set(name, { name, id, hostname: name, image: '' })
    },
    killContainer: async (name) => {
      await killSpecContainer(containerd, side.containers.get(name)!.id)
    },
    pauseContainer: async (name, paused) => {
      const id = side.containers.get(name)!.id
      await ctr(containerd.address, 'default', ['tasks', paused ? 'pause' : 'resume', id])
    },
  }
  return side
}

async function expectStatus(client: EngineClient, method: string, path: string, status: number) {
  const response = await client.request(method, path)
  if (response.status !== status) {
    throw new Error(`${method} ${path} answered ${response.status}: ${response.body}`)
  }
  return response
}

async function dockerContainerRunning(client: EngineClient, name: string): Promise<boolean> {
  const inspect = await expectStatus(client, 'GET', `/containers/${name}/json`, 200)
  return (JSON.parse(inspect.body.toString()) as { State: { Running: boolean } }).State.Running
}

/** Imports the busybox root filesystem into dockerd as DOCKER_IMAGE, as `docker import` does. */
async function importImage(dockerd: DockerdInstance): Promise<void> {
  const rootfs = await buildBusyboxRootfs(join(dockerd.directory, 'image-rootfs'))
  const tarPath = join(dockerd.directory, 'image-rootfs.tar')
  await execFileAsync('tar', ['-C', rootfs, '-cf', tarPath, '.'])
  const [repo, tag] = DOCKER_IMAGE.split(':')
  const client = new EngineClient(dockerd.socketPath)
  const imported = await client.request(
    'POST',
    `/images/create?fromSrc=-&repo=${repo}&tag=${tag}`,
    {
      body: await readFile(tarPath),
      headers: { 'Content-Type': 'application/x-tar' },
      timeoutMs: 120_000,
    },
  )
  // The import reports failures inside a 200 progress stream.
  if (imported.status !== 200 || imported.body.includes('errorDetail')) {
    throw new Error(`image import failed with ${imported.status}: ${imported.body}`)
  }
}

async function runDockerContainer(
  client: EngineClient,
  name: string,
  running: boolean,
): Promise<ContainerFacts> {
  const created = await client.request('POST', `/containers/create?name=${name}`, {
    body: {
      Image: DOCKER_IMAGE,
      Cmd: ['tail', '-f', '/dev/null'],
      Labels: { [NAME_LABEL]: name },
      HostConfig: { NetworkMode: 'none' },
    },
  })
  if (created.status !== 201) throw new Error(`docker create ${name} failed: ${created.body}`)
  const { Id: id } = JSON.parse(created.body.toString()) as { Id: string }
  if (running) await expectStatus(client, 'POST', `/containers/${id}/start`, 204)
  const inspect = await expectStatus(client, 'GET', `/containers/${id}/json`, 200)
  const { Config } = JSON.parse(inspect.body.toString()) as {
    Config: { Hostname: string; Image: string }
  }
  return { name, id, hostname: Config.Hostname, image: Config.Image }
}

/** Runs `dexec serve` from the built CLI on a unix socket in the containerd directory. */
async function startDexec(containerd: ContainerdInstance) {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run pnpm -s build first`)
  const socketPath = join(containerd.directory, 'dexec.sock')
  const args = [
    ...['serve', '--containerd', containerd.address, '--namespace', 'default'],
    ...['--host', `unix://${socketPath}`, '--state-dir', join(containerd.directory, 'dexec')],
  ]
  const child = spawn(cliPath, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = () => stopChild(child, exited)
  const client = new EngineClient(socketPath)
  const answers = () =>
    client.request('GET', `${API_PREFIX}/_ping`, { unversioned: true }).then(
      (response) => response.status === 200,
      () => false,
    )
  try {
    await waitFor(answers, { what: `dexec to answer on ${socketPath}` })
  } catch (error) {
    await stop()
    throw error
  }
  return { socketPath, stop }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  process.kill(child.pid, 'SIGTERM')
  const forced = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(forced)
}
