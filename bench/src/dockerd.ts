// A private dockerd on the bench's containerd: its own data root, exec root, pidfile, socket
// and config file under one temporary directory, networking off, the vfs storage driver.

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync } from 'node:fs'
import { request } from 'node:http'
import { mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'

import { buildBusyboxRootfs, waitFor } from '@dexec/testkit'

import { API_PREFIX, EngineClient } from './engine.js'

const execFileAsync = promisify(execFile)

/** The image of dockerd's container, imported from the testkit busybox root filesystem. */
export const BENCH_IMAGE = 'dexec-bench:busybox'

// dockerd creates /run/docker/plugins whatever its flags are.
const RUN_DIRECTORY = '/run/docker'

/** A running private dockerd. */
export interface Dockerd {
  readonly socketPath: string
  readonly directory: string
  readonly pid: number
  /** Removes its containers, stops it by pid and deletes what it left behind. */
  stop(): Promise<void>
}

/**
 * Starts dockerd 20.10 on `containerdAddress` and waits until `/_ping` returns 200. A config
 * file of its own keeps a host `/etc/docker/daemon.json` out, and the trust key that 20.10
 * writes to `/etc/docker/key.json` by default goes into the temporary directory.
 */
export async function startDockerd(containerdAddress: string): Promise<Dockerd> {
  const directory = await mkdtemp(join(tmpdir(), 'dexec-bench-dockerd-'))
  const socketPath = join(directory, 'docker.sock')
  const logPath = join(directory, 'dockerd.log')
  const configPath = join(directory, 'daemon.json')
  const runDirectoryExisted = existsSync(RUN_DIRECTORY)
  await writeFile(configPath, JSON.stringify({ 'deprecated-key-path': join(directory, 'key.json') }))

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
  const answers = () => client.request('GET', '/_ping').then((r) => r.status === 200, () => false)
  try {
    await Promise.race([spawnError, waitFor(answers, { timeoutMs: 60_000, what: 'dockerd to respond to /_ping' })])
  } catch (error) {
    const tail = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-20)
    await stop()
    throw new Error(`dockerd failed to start: ${(error as Error).message}\n${tail.join('\n')}`, {
      cause: error,
    })
  } finally {
    client.close()
  }
  return { socketPath, directory, pid: child.pid!, stop }
}

function dockerdArguments(directory: string, configPath: string, containerd: string): string[] {
  return [
    `--config-file=${configPath}`,
    `--data-root=${join(directory, 'data')}`,
    `--exec-root=${join(directory, 'exec')}`,
    `--pidfile=${join(directory, 'docker.pid')}`,
    `--host=unix://${join(directory, 'docker.sock')}`,
    `--containerd=${containerd}`,
    // The default cgroup parent `/docker` would outlive this daemon.
    `--cgroup-parent=/${basename(directory)}`,
    '--storage-driver=vfs',
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
  ]
}

/** Imports the busybox root filesystem as BENCH_IMAGE and starts container `name` from it. */
export async function createDockerContainer(dockerd: Dockerd, name: string): Promise<void> {
  const rootfs = await buildBusyboxRootfs(join(dockerd.directory, 'image-rootfs'))
  const tarPath = join(dockerd.directory, 'image-rootfs.tar')
  await execFileAsync('tar', ['-C', rootfs, '-cf', tarPath, '.'])
  const [repo, tag] = BENCH_IMAGE.split(':')
  const client = new EngineClient(dockerd.socketPath)
  try {
    const imported = await postTar(client, `/images/create?fromSrc=-&repo=${repo}&tag=${tag}`, tarPath)
    // The import reports failures inside a 200 progress stream.
    if (imported.includes('errorDetail')) throw new Error(`image import failed: ${imported}`)
    const body = {
      Image: BENCH_IMAGE,
      Cmd: ['tail', '-f', '/dev/null'],
      HostConfig: { NetworkMode: 'none' },
    }
    await client.call('POST', `/containers/create?name=${name}`, 201, body)
    await client.call('POST', `/containers/${name}/start`, 204)
  } finally {
    client.close()
  }
}

async function postTar(client: EngineClient, path: string, tarPath: string): Promise<string> {
  const tar = await readFile(tarPath)
  return new Promise((resolve, reject) => {
    const headers = { Host: 'docker', 'Content-Type': 'application/x-tar', 'Content-Length': tar.length }
    const req = request({ socketPath: client.socketPath, method: 'POST', path: `${API_PREFIX}${path}`, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        if (res.statusCode === 200) resolve(text)
        else reject(new Error(`image import returned ${res.statusCode}: ${text}`))
      })
    })
    req.on('error', reject)
    req.end(tar)
  })
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
  // A clean shutdown unmounts what dockerd mounted; after a SIGKILL these are left.
  await unmountBelow(directory)
  await removeCgroups(basename(directory))
  await rm(directory, { recursive: true, force: true })
  if (!runDirectoryExisted) {
    // rmdir keeps them when another dockerd put something there.
    await rmdir(join(RUN_DIRECTORY, 'plugins')).catch(() => undefined)
    await rmdir(RUN_DIRECTORY).catch(() => undefined)
  }
}

async function removeContainers(socketPath: string): Promise<void> {
  const client = new EngineClient(socketPath)
  try {
    const containers = await client.call<Array<{ Id: string }>>('GET', '/containers/json?all=1', 200)
    for (const { Id } of containers) await client.call('DELETE', `/containers/${Id}?force=1`, 204)
  } finally {
    client.close()
  }
}

async function unmountBelow(directory: string): Promise<void> {
  const table = await readFile('/proc/self/mountinfo', 'utf8')
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    // mountinfo escapes space, tab, newline and backslash as three octal digits.
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === directory || point.startsWith(`${directory}/`))
  for (const point of [...new Set(points)].sort((a, b) => b.length - a.length)) {
    await execFileAsync('umount', ['-l', point]).catch(() => undefined)
  }
}

/** Removes the cgroup `name` in every hierarchy; rmdir only removes empty ones. */
async function removeCgroups(name: string): Promise<void> {
  const root = '/sys/fs/cgroup'
  const entries = await readdir(root, { withFileTypes: true }).catch(() => [])
  const candidates = [join(root, name)]
  for (const entry of entries) if (entry.isDirectory()) candidates.push(join(root, entry.name, name))
  for (const path of candidates) await rmdir(path).catch(() => undefined)
}
