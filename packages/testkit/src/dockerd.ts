// A private dockerd on a containerd that a test or the bench started: its own data root, exec
// root, pidfile, socket and config file under one temporary directory, networking off and the
// vfs storage driver. Stopping it leaves no process, mount, cgroup or file behind.

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'

import { waitFor } from './wait.js'

const execFileAsync = promisify(execFile)

/** A running dockerd with its own data root, exec root and socket under `directory`. */
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
 * Starts dockerd on `containerdAddress` and waits until `/_ping` returns 200. Its config file
 * is one of its own, so that a host `/etc/docker/daemon.json` is never read, and it moves the
 * trust key that dockerd 20.10 writes to `/etc/docker/key.json` by default into the directory.
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

  const answers = () =>
    dockerRequest(socketPath, 'GET', '/_ping').then(
      (response) => response.status === 200,
      () => false,
    )
  try {
    const ready = waitFor(answers, { timeoutMs: 60_000, what: 'dockerd to respond to /_ping' })
    await Promise.race([spawnError, ready])
  } catch (error) {
    const logText = await readFile(logPath, 'utf8').catch(() => '')
    await stop()
    const message = startFailure(error as NodeJS.ErrnoException, socketPath, logText)
    throw new Error(message, { cause: error })
  }
  return { socketPath, directory, pid: child.pid!, stop }
}

/** Lists the mount points at or below `directory`, deepest first. */
export async function mountsBelow(directory: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8')
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    // mountinfo escapes space, tab, newline and backslash as three octal digits.
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => point === directory || point.startsWith(`${directory}/`))
  return [...new Set(points)].sort((a, b) => b.length - a.length)
}

function dockerdArguments(directory: string, configPath: string, containerd: string): string[] {
  return [
    `--config-file=${configPath}`,
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
  return `dockerd did not respond on ${socketPath}: ${error.message}\nend of its log:\n${tail}`
}

async function stopDockerd(
  child: ChildProcess,
  exited: Promise<void>,
  directory: string,
  runDirectoryExisted: boolean,
): Promise<void> {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    await removeContainers(join(directory, 'docker.sock')).catch(() => undefined)
    process.kill(child.pid, 'SIGTERM')
    const forced = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(forced)
  }
  // dockerd unmounts what it mounted when it shuts down cleanly; after a SIGKILL it cannot.
  for (const point of await mountsBelow(directory)) {
    await execFileAsync('umount', ['-l', point]).catch(() => undefined)
  }
  await removeCgroups(basename(directory))
  await rm(directory, { recursive: true, force: true })
  if (!runDirectoryExisted) {
    // rmdir keeps them when another dockerd has put something there.
    await rmdir(join(RUN_DIRECTORY, 'plugins')).catch(() => undefined)
    await rmdir(RUN_DIRECTORY).catch(() => undefined)
  }
}

/** Force-removes every container of the daemon, so that no shim outlives it. */
async function removeContainers(socketPath: string): Promise<void> {
  const list = await dockerRequest(socketPath, 'GET', '/containers/json?all=1')
  for (const { Id } of JSON.parse(list.body) as Array<{ Id: string }>) {
    const removed = await dockerRequest(socketPath, 'DELETE', `/containers/${Id}?force=1`)
    if (removed.status !== 204) {
      throw new Error(`removing container ${Id} failed with ${removed.status}: ${removed.body}`)
    }
  }
  // A removed container's shim exits shortly after the response.
  await sleep(100)
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
  for (const entry of hierarchies) {
    if (entry.isDirectory()) candidates.push(join(root, entry.name, name))
  }
  for (const path of candidates) await rmdir(path).catch(() => undefined)
}

/** Sends one unversioned request without a body to the daemon and reads the whole response. */
function dockerRequest(
  socketPath: string,
  method: string,
  path: string,
): Promise<{ status: number; body: string }> {
  const options = { socketPath, method, path, headers: { Host: 'docker' }, timeout: 60_000 }
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() })
      })
      res.on('error', reject)
    })
    const timedOut = () => new Error(`${method} ${path} on ${socketPath} timed out`)
    req.on('timeout', () => req.destroy(timedOut()))
    req.on('error', reject)
    req.end()
  })
}
