import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

import { ctr } from './ctr.js'
import { waitFor } from './wait.js'

/** A containerd started for one test run, under its own temporary directory. */
export interface ContainerdInstance {
  /** Path of the gRPC socket. */
  readonly address: string
  /** The temporary directory holding the config, root, state and log. */
  readonly directory: string
  readonly pid: number
  /** containerd's own log (stdout and stderr). */
  readonly logPath: string
  /**
   * The runc state directory for containers of this instance. runc's default
   * (/run/containerd/runc/<namespace>) is shared by every containerd on the
   * machine, so two instances with a container of the same id would clash.
   */
  readonly runcRoot: string
  /**
   * The directory for the stdio FIFOs that `ctr run` and `ctr tasks exec` create. ctr's default
   * (/run/containerd/fifo) belongs to the machine's containerd; pass it as `--fifo-dir`.
   */
  readonly fifoDir: string
  /**
   * A tag unique to this instance for naming host-wide things such as cgroup
   * paths: ctr's default cgroup `/<namespace>/<id>` is shared by every
   * containerd, and `ctr tasks kill -a` signals the whole cgroup.
   */
  readonly tag: string
  /**
   * Stops containerd with SIGTERM and starts it again on the same state. The
   * shims and their containers keep running meanwhile, as in a real restart.
   * `whileDown` runs while containerd is stopped.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>
  /** Kills every task, removes every container, stops containerd and deletes the directory. */
  stop(): Promise<void>
}

/** Options of startContainerd. */
export interface StartContainerdOptions {
  /** Directory to create the instance in; a new one under the OS temp dir by default. */
  directory?: string
  /** Keep the directory after stop (for debugging a failed run). */
  keepDirectory?: boolean
}

/**
 * Starts a private containerd and waits until it responds on its socket. The
 * CRI plugin is disabled, and nothing listens on TCP.
 */
export async function startContainerd(options: StartContainerdOptions = {}): Promise<ContainerdInstance> {
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'dexec-ctd-')))
  const address = join(directory, 'containerd.sock')
  const configPath = join(directory, 'config.toml')
  const logPath = join(directory, 'containerd.log')
  await writeFile(configPath, renderConfig(directory, address))
  let running = await launch(configPath, address, logPath)

  return {
    address,
    directory,
    get pid() {
      return running.child.pid!
    },
    logPath,
    runcRoot: join(directory, 'runc'),
    fifoDir: join(directory, 'fifo'),
    tag: basename(directory),
    restart: async (whileDown) => {
      running.child.kill('SIGTERM')
      await running.exited
      await whileDown?.()
      running = await launch(configPath, address, logPath)
    },
    stop: () => stopContainerd(running.child, running.exited, address, directory, options.keepDirectory ?? false),
  }
}

/** Spawns containerd with its log appended to `logPath` and waits until it responds. */
async function launch(configPath: string, address: string, logPath: string) {
  const log = createWriteStream(logPath, { flags: 'a' })
  const child = spawn('containerd', ['--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C in a terminal must not stop containerd before the programs
    // that use it (dexec kills its execs' processes through it), nor before stop() cleans up.
    detached: true,
  })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject))

  const answers = () => ctr(address, 'default', ['version']).then(() => true, () => false)
  try {
    await Promise.race([
      spawnError,
      waitFor(answers, {
        timeoutMs: 20_000,
        what: `containerd to respond on ${address} (log: ${logPath})`,
      }),
    ])
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    throw err
  }
  return { child, exited }
}

async function stopContainerd(
  child: ChildProcess,
  exited: Promise<void>,
  address: string,
  directory: string,
  keepDirectory: boolean,
): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    await removeEverything(address)
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  if (!keepDirectory) await rm(directory, { recursive: true, force: true })
}

/** Kills and deletes every task and container of every namespace, so no shim outlives the test. */
async function removeEverything(address: string): Promise<void> {
  const namespaces = (await ctr(address, 'default', ['namespaces', 'ls', '-q'])).split('\n').filter(Boolean)
  for (const namespace of namespaces) {
    const containers = (await ctr(address, namespace, ['containers', 'ls', '-q'])).split('\n').filter(Boolean)
    for (const id of containers) {
      await ctr(address, namespace, ['tasks', 'kill', '-a', '-s', 'SIGKILL', id]).catch(() => '')
      await ctr(address, namespace, ['tasks', 'delete', '-f', id]).catch(() => '')
      await ctr(address, namespace, ['containers', 'delete', id]).catch(() => '')
    }
  }
}

function renderConfig(directory: string, address: string): string {
  return [
    'version = 2',
    `root = "${join(directory, 'root')}"`,
    `state = "${join(directory, 'state')}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '',
    '[grpc]',
    `  address = "${address}"`,
    '',
    '[ttrpc]',
    `  address = "${address}.ttrpc"`,
    '',
    '[debug]',
    '  address = ""',
    '',
    '[metrics]',
    '  address = ""',
    '',
  ].join('\n')
}
