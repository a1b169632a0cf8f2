import { readFileSync } from 'node:fs'
import { PassThrough, type Readable, type Writable } from 'node:stream'
import { finished } from 'node:stream/promises'

import type { CreateExecRequest, ExecService } from '@dexec/core'
import { StdcopyDemuxer } from '@dexec/stream'

import { CliError, type FlagSpec } from './help.js'
import { withService, type Connection } from './daemonless.js'

/** The flags of `dexec exec`, as Docker's `docker exec` has them. */
export const EXEC_FLAGS: readonly FlagSpec[] = [
  { long: 'detach', short: 'd', help: 'Detached mode: run command in the background' },
  {
    long: 'detach-keys',
    valueName: 'string',
    help: 'Override the key sequence for detaching',
    default: 'ctrl-p,ctrl-q',
  },
  {
    long: 'env',
    short: 'e',
    valueName: 'list',
    help: 'Set environment variables',
    repeatable: true,
  },
  {
    long: 'env-file',
    valueName: 'list',
    help: 'Read in a file of environment variables',
    repeatable: true,
  },
  { long: 'interactive', short: 'i', help: 'Keep STDIN open even if not attached' },
  { long: 'privileged', help: 'Give extended privileges to the command' },
  { long: 'tty', short: 't', help: 'Allocate a pseudo-TTY' },
  {
    long: 'user',
    short: 'u',
    valueName: 'string',
    help: 'Username or UID (format: "<name|uid>[:<group|gid>]")',
  },
  {
    long: 'workdir',
    short: 'w',
    valueName: 'string',
    help: 'Working directory inside the container',
  },
]

/** The parsed flags of `dexec exec`. */
export interface ExecFlags {
  detach?: boolean
  detachKeys?: string
  env?: string[]
  envFile?: string[]
  interactive?: boolean
  privileged?: boolean
  tty?: boolean
  user?: string
  workdir?: string
}

/** The terminal and standard streams of the CLI process; tests may pass others. */
export interface ExecStdio {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown }
  stdout: Writable & { isTTY?: boolean; rows?: number; columns?: number }
  stderr: Writable
}

/**
 * Runs `dexec exec` and resolves to its exit status: the process's exit
 * code, 0 after a detach or with --detach, 125 for a failure of dexec
 * itself (thrown as a CliError).
 */
export async function runExec(
  connection: Connection,
  flags: ExecFlags,
  container: string,
  command: string[],
  stdio: ExecStdio = process,
): Promise<number> {
  const tty = flags.tty ?? false
  const interactive = (flags.interactive ?? false) && !flags.detach
  if (tty && interactive && !stdio.stdin.isTTY)
    throw new CliError('the input device is not a TTY', 1)
  const request = buildCreateRequest(flags, command, stdio)
  return withService(connection, async ({ service }) => {
    const id = await service.createExec(container, request)
    const start = { Tty: tty, ConsoleSize: request.ConsoleSize }
    if (flags.detach) {
      await service.startDetached(id, start)
      return 0
    }
    return runAttached(service, id, start, interactive, stdio)
  })
}

/** Builds Docker's exec create body from the flags, as `docker exec` sends it. */
export function buildCreateRequest(
  flags: ExecFlags,
  command: string[],
  stdio: ExecStdio,
): CreateExecRequest {
  const tty = flags.tty ?? false
  const attached = !flags.detach
  const size = tty && stdio.stdout.isTTY ? terminalSize(stdio.stdout) : null
  return {
    Cmd: command,
    Env: [...readEnvFiles(flags.envFile ?? []), ...(flags.env ?? []).map(expandEnv)],
    User: flags.user ?? '',
    WorkingDir: flags.workdir ?? '',
    Tty: tty,
    AttachStdin: attached && (flags.interactive ?? false),
    AttachStdout: attached,
    AttachStderr: attached,
    Privileged: flags.privileged ?? false,
    DetachKeys: flags.detachKeys ?? '',
    ConsoleSize: size,
  }
}

async function runAttached(
  service: ExecService,
  id: string,
  start: { Tty: boolean; ConsoleSize: [number, number] | null },
  interactive: boolean,
  stdio: ExecStdio,
): Promise<number> {
  const prepared = await service.prepareStart(id)
  const output = start.Tty
    ? new PassThrough()
    : new StdcopyDemuxer({ stdout: stdio.stdout, stderr: stdio.stderr })
  if (start.Tty) output.pipe(stdio.stdout, { end: false })
  const restore = interactive && start.Tty ? enterRawMode(stdio) : () => {}
  const stopResize = start.Tty ? followResize(service, id, stdio.stdout) : () => {}
  // With a terminal, Ctrl-C reaches the process as a byte; without one, it is a signal to the CLI.
  const stopForwarding = start.Tty ? () => {} : forwardSignals(service, id)
  try {
    await service.startAttached(prepared, start, {
      input: interactive ? stdio.stdin : null,
      output,
    })
    await finished(output).catch(() => {})
  } finally {
    stopForwarding()
    stopResize()
    restore()
    if (interactive) stdio.stdin.pause()
  }
  await flush(stdio.stdout)
  const record = service.store.get(id)
  // A detach prints nothing and exits 0, as docker exec does.
  if (record?.detached) return 0
  return service.inspectExec(id).ExitCode ?? 0
}

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * Sends SIGINT, SIGTERM and SIGHUP that the CLI receives on to the exec's
 * process, so the CLI ends with the process's own status (130 after Ctrl-C
 * when the process does not catch it). Returns the function that stops it.
 */
function forwardSignals(service: ExecService, id: string): () => void {
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    // A process that exited meanwhile cannot be signalled; its status is reported anyway.
    const handler = () => void service.killExec(id, signal).catch(() => {})
    process.on(signal, handler)
    return [signal, handler] as const
  })
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }
}

/** Puts a terminal stdin into raw mode and returns the function that restores it. */
function enterRawMode(stdio: ExecStdio): () => void {
  if (!stdio.stdin.isTTY || !stdio.stdin.setRawMode) return () => {}
  stdio.stdin.setRawMode(true)
  return () => stdio.stdin.setRawMode?.(false)
}

/** Resizes the exec's terminal whenever the CLI's terminal changes size (SIGWINCH). */
function followResize(service: ExecService, id: string, stdout: ExecStdio['stdout']): () => void {
  if (!stdout.isTTY) return () => {}
  const onResize = () => {
    const [height, width] = terminalSize(stdout)
    // A resize that fails (the process just exited) changes nothing worth reporting.
    service.resizeExec(id, height, width).catch(() => {})
  }
  stdout.on('resize', onResize)
  return () => stdout.off('resize', onResize)
}

function terminalSize(stdout: ExecStdio['stdout']): [number, number] {
  return [stdout.rows ?? 0, stdout.columns ?? 0]
}

function flush(stream: Writable): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}

/**
 * Expands `-e NAME` as docker does: NAME=value when the CLI's environment
 * has NAME, else NAME alone, which removes NAME in the exec.
 */
function expandEnv(entry: string): string {
  if (entry.includes('=')) return entry
  const value = process.env[entry]
  return value === undefined ? entry : `${entry}=${value}`
}

/**
 * Reads Docker env files: one NAME=value per line, `#` comments and blank
 * lines skipped, a NAME alone taken from the CLI's environment or dropped.
 */
export function readEnvFiles(paths: readonly string[]): string[] {
  const entries: string[] = []
  for (const path of paths) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      throw new CliError(`failed to read the env file ${path}: ${(err as Error).message}`)
    }
    for (const rawLine of text.split('\n')) {
      const line = rawLine.replace(/^\s+/, '').replace(/\r$/, '')
      if (line === '' || line.startsWith('#')) continue
      const name = line.split('=', 1)[0]!
      if (/\s/.test(name))
        throw new CliError(`invalid env file ${path}: variable '${name}' contains whitespaces`)
      if (line.includes('=')) entries.push(line)
      else if (process.env[name] !== undefined) entries.push(`${name}=${process.env[name]}`)
    }
  }
  return entries
}
