// The bench bed: one private containerd, dockerd on it (namespace `moby`) and `dexec serve` on
// it (namespace `default`) as a child process, each with a running busybox container `bench`.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import {
  createContainer,
  startContainerd,
  startDockerd,
  waitFor,
  type ContainerdInstance,
} from '@dexec/testkit'

import { createDockerContainer } from './dockerd.js'
import { EngineClient } from './engine.js'

const cliPath = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url))

/** The container that every exec of the bench runs in, on both servers. */
export const CONTAINER = 'bench'

/** One server under test. */
export interface Server {
  readonly name: 'dexec' | 'dockerd'
  readonly client: EngineClient
  /** The daemon process, whose VmRSS is sampled. */
  readonly pid: number
}

/** Everything a run measures against. */
export interface BenchStack {
  readonly containerd: ContainerdInstance
  readonly dexec: Server
  readonly dockerd: Server
  /** Stops dexec, dockerd and containerd, also after a failed start. */
  stop(): Promise<void>
}

/** Options of startStack. */
export interface StackOptions {
  /** Directory for a V8 CPU profile of dexec (node --cpu-prof), written when it stops. */
  cpuProfileDir?: string
  /** Node options given to the dexec process. */
  nodeFlags?: string[]
}

/** Starts containerd, dockerd and dexec, and the container `bench` on both servers. */
export async function startStack(options: StackOptions = {}): Promise<BenchStack> {
  const containerd = await startContainerd()
  const cleanups: Array<() => Promise<void>> = [() => containerd.stop()]
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  }
  try {
    const dockerd = await startDockerd(containerd.address)
    cleanups.push(() => dockerd.stop())
    await createDockerContainer(dockerd, CONTAINER)
    await createContainer(containerd, { id: CONTAINER })
    const dexec = await startDexec(containerd, options)
    cleanups.push(dexec.stop)
    const dockerdClient = new EngineClient(dockerd.socketPath)
    cleanups.push(async () => dockerdClient.close())
    return {
      containerd,
      dexec: { name: 'dexec', client: dexec.client, pid: dexec.pid },
      dockerd: { name: 'dockerd', client: dockerdClient, pid: dockerd.pid },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

async function startDexec(containerd: ContainerdInstance, { cpuProfileDir, nodeFlags = [] }: StackOptions) {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run pnpm -s build first`)
  const socketPath = join(containerd.directory, 'dexec.sock')
  const nodeOptions = [...nodeFlags, ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [])]
  const args = [
    ...['serve', '--containerd', containerd.address, '--namespace', 'default'],
    ...['--host', `unix://${socketPath}`, '--state-dir', join(containerd.directory, 'dexec')],
    ...['--shutdown-timeout', '0'],
  ]
  // Run as an executable, as users do, so that the Node options of its first line apply; extra
  // options go through NODE_OPTIONS.
  const env = nodeOptions.length ? { ...process.env, NODE_OPTIONS: nodeOptions.join(' ') } : process.env
  const child = spawn(cliPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const client = new EngineClient(socketPath)
  const stop = async () => {
    client.close()
    await stopChild(child, exited)
  }
  const answers = () => client.request('GET', '/_ping').then((r) => r.status === 200, () => false)
  try {
    await waitFor(answers, { timeoutMs: 30_000, what: `dexec to answer on ${socketPath}` })
  } catch (error) {
    await stop()
    throw error
  }
  return { client, pid: child.pid!, stop }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  process.kill(child.pid, 'SIGTERM')
  const forced = setTimeout(() => child.kill('SIGKILL'), 20_000)
  await exited
  clearTimeout(forced)
}
