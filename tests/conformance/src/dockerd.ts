// Starts a private dockerd on a containerd that the tests started, and stops it again without
// leaving processes, mounts or files behind.

import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { waitFor } from '@dexec/testkit'

import { EngineClient } from './engine-client.js'
import { unmountBelow } from './mounts.js'

/** A dockerd process with its own data root, exec root and socket under one temporary directory. */
export interface DockerdInstance {
  readonly socketPath: string
  readonly directory: string
  readonly pid: number
  /** Removes every container, stops dockerd by its pid and deletes the directory. */
  stop(): Promise<void>
}

// dockerd creates /run/docker/plugins for plugin discovery whatever its flags are.
const RUN_DIRECTORY = '/run/docker'

/**
 * Starts dockerd on `containerdAddress` with networking features off and the vfs storage driver,
 * listening only on a unix socket in a new temporary directory. Its config file is one of its
 * own, so that a host `/etc/docker/daemon.json` is never read, and it moves the trust key that
 * dockerd 20.10 writes to `/etc/docker/key.json` by default into the temporary directory.
 */
export async function startDockerd(containerdAddress: string): Promise<DockerdInstance> {
  const directory = await mkdtemp(join(tmpdir(), 'dexec-dockerd-'))
  const socketPath = join(directory, 'docker.sock')
  const logPath = join(directory, 'dockerd.log')
  const configPath = join(directory, 'daemon.json')
  const runDirectoryExisted = existsSync(RUN_DIRECTORY)
  const config = { 'deprecated-key-path': join(directory, 'key.json') }
  await writeFile(configPath, JSON.stringify(config))

  const child = spawn('dockerd', dockerdArguments(directory, configPath, containerdAddress), {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log = createWriteStream(logPath)
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject))
  const stop = () => stopDockerd(child, exited, directory, runDirectoryExisted)

  const client = new EngineClient(socketPath)
  const answers = () =>
    client.request('GET', '/_ping', { unversioned: true }).then(
      (response) => response.status === 200,
      () => false,
    )
  try {
    const ready = waitFor(answers, { timeoutMs: 30_000, what: 'dockerd to answer' })
    await Promise.race([spawnError, ready])
  } catch (error) {
    const logText = await readFile(logPath, 'utf8').catch(() => '')
    await stop()
    throw new Error(startFailure(error as NodeJS.ErrnoException, socketPath, logText), {
      cause: error,
    })
  }
  return { socketPath, directory, pid: child.pid!, stop }
}

function dockerdArguments(directory: string, config: string, containerd: string): string[] {
  return [
    `--config-file=${config}`,
    `--data-root=${join(directory, 'data')}`,
    `--exec-root=${join(directory, 'exec')}`,
    `--pidfile=${join(directory, 'docker.pid')}`,
    `--host=unix://${join(directory, 'docker.sock')}`,
    `--containerd=${containerd}`,
    // The cgroupfs driver's default parent `/docker` would outlive this daemon.
    `--cgroup-parent=/${basename(directory)}`,
    '--storage-driver=vfs',
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
  ]
}

function startFailure(error: NodeJS.ErrnoException, socketPath: string, logText: string): string {
  if (error.code === 'ENOENT') {
    return "dockerd not found in PATH: scripts/setup.sh installs Debian's docker.io package"
  }
  const tail = logText.trim().split('\n').slice(-20).join('\n')
  return `dockerd did not answer on ${socketPath}: ${error.message}\nend of its log:\n${tail}`
}

async function stopDockerd(
  child: ChildProcess,
  exited: Promise<void>,
  directory: string,
  runDirectoryExisted: boolean,
): Promise<void> {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const client = new EngineClient(join(directory, 'docker.sock'))
    await removeContainers(client).catch(() => undefined)
    process.kill(child.pid, 'SIGTERM')
    const forced = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(forced)
  }
  // dockerd unmounts what it mounted when it shuts down cleanly; after a SIGKILL it cannot.
  await unmountBelow(directory)
  await removeCgroups(basename(directory))
  await rm(directory, { recursive: true, force: true })
  if (!runDirectoryExisted) {
    // rmdir keeps them when another dockerd has put something there.
    await rmdir(join(RUN_DIRECTORY, 'plugins')).catch(() => undefined)
    await rmdir(RUN_DIRECTORY).catch(() => undefined)
  }
}

/**
 * Removes the cgroup `name` that the daemon's containers were placed under, in every hierarchy
 * (cgroup v1 controllers, a hybrid `unified` tree, or a cgroup v2 root). rmdir removes only
 * empty cgroups, and runc has removed the containers' own ones when they were deleted.
 */
async function removeCgroups(name: string): Promise<void> {
  const root = '/sys/fs/cgroup'
  const hierarchies = await readdir(root, { withFileTypes: true }).catch(() => [])
  const candidates = [join(root, name)]
  for (const entry of hierarchies)
    if (entry.isDirectory()) candidates.push(join(root, entry.name, name))
  for (const path of candidates) await rmdir(path).catch(() => undefined)
}

/** Force-removes every container of the daemon, so that no shim outlives it. */
async function removeContainers(client: EngineClient): Promise<void> {
  const list = await client.request('GET', '/containers/json?all=1')
  const containers = JSON.parse(list.body.toString()) as Array<{ Id: string }>
  for (const { Id } of containers) {
    const removed = await client.request('DELETE', `/containers/${Id}?force=1`, {
      timeoutMs: 60_000,
    })
    if (removed.status !== 204) {
      throw new Error(`removing container ${Id} failed with ${removed.status}: ${removed.body}`)
    }
  }
  // A removed container's shim exits shortly after the response.
  await sleep(100)
}
