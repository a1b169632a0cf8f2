import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

import { ContainerdClient, ExecService, toDexecError } from '@dexec/core'
import pino from 'pino'

import { CliError, type FlagSpec } from './help.js'

/** The flags that every daemonless command takes, before or after the command name. */
export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  {
    long: 'containerd',
    valueName: 'string',
    help: 'containerd socket path',
    default: '/run/containerd/containerd.sock',
    env: 'CONTAINERD_ADDRESS',
  },
  {
    long: 'namespace',
    short: 'n',
    valueName: 'string',
    help: 'containerd namespace',
    default: 'default',
    env: 'CONTAINERD_NAMESPACE',
  },
  {
    long: 'state-dir',
    valueName: 'string',
    help: 'directory for the FIFOs of the execs this command starts',
    default: '/run/dexec/cli',
  },
  {
    long: 'log-level',
    valueName: 'string',
    help: 'log level of failures that no command returns: error, warn, info, debug',
    default: 'warn',
  },
]

/** Resolved connection settings of a daemonless command. */
export interface Connection {
  containerd: string
  namespace: string
  stateDir: string
  logLevel: string
}

/** Resolves the connection flags: command flag, then global flag, then environment, then default. */
export function resolveConnection(
  flags: Record<string, unknown>,
  globals: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Connection {
  const pick = (key: string, envName: string | undefined, fallback: string): string => {
    const value = flags[key] ?? globals[key] ?? (envName ? env[envName] || undefined : undefined)
    return typeof value === 'string' ? value : fallback
  }
  return {
    containerd: pick('containerd', 'CONTAINERD_ADDRESS', '/run/containerd/containerd.sock'),
    namespace: pick('namespace', 'CONTAINERD_NAMESPACE', 'default'),
    stateDir: pick('stateDir', undefined, '/run/dexec/cli'),
    logLevel: pick('logLevel', undefined, 'warn'),
  }
}

/** An ExecService that lives in this CLI process only. */
export interface DaemonlessService {
  client: ContainerdClient
  service: ExecService
  /** Stops the service and removes this process's FIFO directory. */
  close(): Promise<void>
}

/**
 * Opens an ExecService on containerd for this process. Each CLI process
 * gets its own FIFO directory `<state-dir>/<pid>`, because the service
 * clears its state directory on open and several commands may run at once.
 * Directories of processes that are gone are removed first.
 */
export async function openService(connection: Connection): Promise<DaemonlessService> {
  const logger = pino({ level: connection.logLevel }, pino.destination(2))
  await mkdir(connection.stateDir, { recursive: true, mode: 0o700 })
  await removeDeadProcessDirs(connection.stateDir)
  const stateDir = join(connection.stateDir, String(process.pid))
  const client = new ContainerdClient({
    address: connection.containerd,
    namespace: connection.namespace,
  })
  const service = new ExecService({
    client,
    stateDir,
    onError: (err, context) => {
      // A command fails by itself when containerd is unreachable, so a lost event watch adds nothing.
      if (context.operation === 'watch containerd events') return
      logger.warn({ err, ...context }, `${context.operation} failed`)
    },
  })
  await service.open()
  return {
    client,
    service,
    close: async () => {
      service.close()
      client.close()
      await rm(stateDir, { recursive: true, force: true })
    },
  }
}

async function removeDeadProcessDirs(stateDir: string): Promise<void> {
  for (const entry of await readdir(stateDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue
    if (!isProcessAlive(Number(entry.name))) {
      await rm(join(stateDir, entry.name), { recursive: true, force: true })
    }
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Turns a core failure into a CliError with its message and exit status 125. */
export function toCliError(err: unknown, connection: Connection): CliError {
  if (err instanceof CliError) return err
  const error = toDexecError(err)
  if (error.kind === 'UNAVAILABLE') {
    return new CliError(
      `failed to connect to containerd at ${connection.containerd}; is it running? (${error.message})`,
    )
  }
  return new CliError(error.message)
}

/** Runs a command body with an open service, and closes the service when the body returns or throws. */
export async function withService<T>(
  connection: Connection,
  body: (opened: DaemonlessService) => Promise<T>,
): Promise<T> {
  let opened: DaemonlessService
  try {
    opened = await openService(connection)
  } catch (err) {
    throw new CliError(
      `failed to open the state directory ${connection.stateDir}: ${(err as Error).message}`,
    )
  }
  try {
    return await body(opened)
  } catch (err) {
    throw toCliError(err, connection)
  } finally {
    await opened.close()
  }
}
