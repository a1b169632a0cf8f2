import type { Readable, Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import {
  createFifoSet,
  isContainerdError,
  type ContainerdClient,
  type ExitStatus,
  type FifoSet,
} from '@dexec/containerd'
import type { ExecRecord } from '@dexec/exec-store'
import {
  AttachSession,
  discardStream,
  DEFAULT_DETACH_KEYS,
  frameHeader,
  type AttachInterruption,
  type StreamDirection,
} from '@dexec/stream'

import type { ContainerView } from './containers.js'
import { armDeadline, remainingMsOf } from './deadline.js'
import { DexecError, toDexecError } from './errors.js'
import { buildExecProcess } from './process-spec.js'
import { classifyStartFailure } from './start-failure.js'
import type { Semaphore } from './semaphore.js'
import { lookupUser } from './user-lookup.js'

const SIGKILL = 9
// How long an attached start whose client went away waits for its killed process to be released.
const KILLED_EXIT_WAIT_MS = 5_000

/** The client side of an attached start: the hijacked connection. */
export interface ClientStreams {
  /** Bytes the client sends after the request (stdin), or null when there are none. */
  input: Readable | null
  /** Receives the output; ended (half-closed) when the session is over. */
  output: Writable
}

/** Everything a start needs from its ExecService. */
export interface StartContext {
  client: ContainerdClient
  record: ExecRecord
  view: ContainerView
  stateDir: string
  killOnDisconnect: boolean
  publish(action: string, extra?: Record<string, string>): void
  /** Removes the exec from its container's ExecIDs. */
  release(): void
  /** Receives the length of each chunk that an attached session copies, when someone counts. */
  countBytes?: ((direction: StreamDirection, bytes: number) => void) | undefined
  /** Returns and clears the terminal size that a resize set before the start, if any. */
  takePendingSize(): [number, number] | null
  /** Bounds how many Exec and Start calls run at once for the container. */
  startSlots: Semaphore
  /** Reports a cleanup failure that no caller can receive, with the exec's ids. */
  reportError(err: unknown, operation: string): void
  /** Time between SIGTERM and SIGKILL when the exec runs past its deadline, in ms. */
  timeoutGraceMs: number
}

interface Launched {
  fifos: FifoSet
  /** Resolves with the exit status; a failed Wait resolves with exitAfterWaitFailure's. */
  exit: Promise<ExitStatus>
}

/** Starts an exec with its output read and discarded; returns once the process runs. */
export async function runDetachedStart(
  context: StartContext,
  request: { Tty: boolean; ConsoleSize: [number, number] | null },
): Promise<void> {
  const launched = await launch(context, request.ConsoleSize, false)
  for (const stream of [launched.fifos.stdout, launched.fifos.stderr]) if (stream) discardStream(stream)
  void finishOnExit(context, launched)
}

/**
 * Runs an attached start on an open client connection. Every failure is
 * written into the stream (`<message>\r\n`, framed as stdout unless the start
 * asked for Tty) and ends it, because the status line is already sent.
 */
export async function runAttachedStart(
  context: StartContext,
  request: { Tty: boolean; ConsoleSize: [number, number] | null },
  streams: ClientStreams,
): Promise<void> {
  const framing = request.Tty ? 'raw' : 'multiplexed'
  let launched: Launched
  try {
    launched = await launch(context, request.ConsoleSize, streams.input !== null)
  } catch (err) {
    writeStreamError(streams.output, framing, toDexecError(err).message)
    streams.output.end()
    return
  }
  const { config } = context.record
  const { fifos } = launched
  if (!config.attachStdout && fifos.stdout) discardStream(fifos.stdout)
  if (!config.attachStderr && fifos.stderr) discardStream(fifos.stderr)
  if (!config.attachStdin && !config.attachStdout && !config.attachStderr) {
    // Nothing to copy: dockerd ends such a stream as soon as the process
    // runs, and the exit is recorded when it comes.
    streams.output.end()
    void finishOnExit(context, launched)
    return
  }
  const session = new AttachSession({
    input: streams.input,
    output: streams.output,
    stdin: fifos.stdin,
    stdout: config.attachStdout ? fifos.stdout : null,
    stderr: config.attachStderr ? fifos.stderr : null,
    framing,
    tty: config.tty,
    detachKeys: detachKeysOf(config),
    onStdinEnd: () => closeStdin(context),
    onBytes: context.countBytes,
  })
  const exited = launched.exit.then((status) => ({ kind: 'exit' as const, status }))
  const interrupted = session.interrupted.then((reason) => ({ kind: 'interrupt' as const, reason }))
  const first = await Promise.race([exited, interrupted])

  if (first.kind === 'exit') {
    await session.drain()
    session.stop()
    // The exit code is recorded before the stream ends, because clients
    // inspect the exec as soon as they read EOF.
    recordExit(context, first.status)
    streams.output.end()
    await release(context, launched)
    return
  }
  session.stop()
  await handleInterruption(context, first.reason)
  streams.output.end()
  const finished = finishOnExit(context, launched)
  // A killed process ends within moments. Waiting for its release keeps this start in progress
  // until then, so that a shutdown keeps containerd's client open for its deletion.
  if (first.reason === 'client-gone' && context.killOnDisconnect) {
    await Promise.race([finished, sleep(KILLED_EXIT_WAIT_MS, undefined, { ref: false })])
  }
}

/**
 * Acts on a session that ended before its process: a detach is recorded and
 * announced, and a client that went away has its process killed unless the
 * server keeps Docker's behaviour. A terminal's stdin EOF needs nothing.
 */
async function handleInterruption(context: StartContext, reason: AttachInterruption): Promise<void> {
  const { record } = context
  if (reason === 'detached') {
    record.markDetached()
    context.publish('exec_detach')
  } else if (reason === 'client-gone' && context.killOnDisconnect) {
    await context.client
      .killProcess(record.config.containerId, record.id, SIGKILL)
      .catch((err: unknown) => context.reportError(err, 'kill the process of a client that went away'))
  }
}

/**
 * Waits for a process to exit. While containerd is unavailable it calls
 * Wait again with a growing pause (up to 5 s), because across a restart of
 * containerd the shim keeps the process and, until deletion, its exit status.
 */
export async function waitForExit(client: ContainerdClient, containerId: string, execId: string): Promise<ExitStatus> {
  let backoffMs = 100
  for (;;) {
    try {
      return await client.waitProcess(containerId, execId)
    } catch (err) {
      if (!isContainerdError(err, 'UNAVAILABLE')) throw err
    }
    await sleep(backoffMs)
    backoffMs = Math.min(backoffMs * 2, 5_000)
  }
}

/** Moves the record to running, creates the process in containerd and starts it. */
async function launch(
  context: StartContext,
  consoleSize: [number, number] | null,
  withStdin: boolean,
): Promise<Launched> {
  const { client, record, view } = context
  const { config } = record
  try {
    record.start()
  } catch (err) {
    throw toDexecError(err)
  }
  context.publish(`exec_start: ${config.cmd[0] ?? ''} ${config.cmd.slice(1).join(' ')}`)
  let fifos: FifoSet | undefined
  let created = false
  try {
    const user = config.user ? await lookupUser(view, config.user) : null
    const base = view.record.spec?.process
    if (!base) throw new DexecError('SYSTEM', `container ${view.id} has no process spec`)
    const pendingSize = context.takePendingSize()
    const size = consoleSize ?? pendingSize ?? config.consoleSize
    const process = buildExecProcess({ base, config, user, consoleSize: size })
    fifos = await createFifoSet({
      directory: context.stateDir,
      id: record.id,
      stdin: withStdin && config.attachStdin,
      stdout: true,
      stderr: !config.tty,
    })
    const pid = await context.startSlots.run(async () => {
      await client.execProcess({ containerId: view.id, execId: record.id, process, terminal: config.tty, ...fifos!.paths })
      created = true
      return client.startProcess(view.id, record.id)
    })
    record.setPid(pid)
    const disarm = armDeadlineOf(context)
    // Wait is called only once the process runs: containerd 1.6 blocks
    // Start calls while many Waits on created execs are outstanding. An
    // exit in between is not missed, because the process stays until
    // DeleteProcess and Wait then returns its status at once.
    const exit = waitForExit(client, view.id, record.id).catch(exitAfterWaitFailure)
    void exit.then(disarm)
    return { fifos, exit }
  } catch (err) {
    await fifos?.close()
    if (created) {
      await client
        .deleteProcess(view.id, record.id)
        .catch((cleanupError: unknown) => context.reportError(cleanupError, 'delete a process that failed to start'))
    }
    throw failStart(context, err)
  }
}

/** Arms the record's deadline, if it has one; returns the function that cancels it. */
function armDeadlineOf(context: StartContext): () => void {
  const { client, record } = context
  const remainingMs = remainingMsOf(record)
  if (remainingMs === null) return () => {}
  return armDeadline({
    record,
    remainingMs,
    graceMs: context.timeoutGraceMs,
    kill: (signal) =>
      client
        .killProcess(record.config.containerId, record.id, signal)
        .catch((err: unknown) => context.reportError(err, `send signal ${signal} to a process past its deadline`)),
  })
}

function failStart(context: StartContext, err: unknown): DexecError {
  const error = toDexecError(err)
  const failure = classifyStartFailure(error.message)
  context.record.failStart(failure.exitCode, failure.message)
  context.release()
  const kind = error.kind === 'SYSTEM' && failure.userError ? 'INVALID_PARAMETER' : error.kind
  return new DexecError(kind, failure.message, { cause: err })
}

/** Records the exit, removes the exec from ExecIDs and emits exec_die, once. */
function recordExit(context: StartContext, status: ExitStatus): void {
  if (context.record.finish(status.code)) {
    context.release()
    context.publish('exec_die', exitAttributes(context.record))
  }
}

/**
 * Releases the FIFOs and deletes the process in containerd. This can take
 * seconds: the shim waits up to 2 s for its output copy when a background
 * child still keeps the output open, so nothing waits on it.
 */
async function release(context: StartContext, launched: Launched): Promise<void> {
  await launched.fifos.close()
  const { record } = context
  await context.client
    .deleteProcess(record.config.containerId, record.id)
    .catch((err: unknown) => context.reportError(err, 'delete an exited process'))
}

/**
 * Records the exit and releases the process once it exits. Callers need not wait for the
 * returned promise, which never rejects.
 */
function finishOnExit(context: StartContext, launched: Launched): Promise<void> {
  return launched.exit.then(async (status) => {
    recordExit(context, status)
    await release(context, launched)
  })
}

async function closeStdin(context: StartContext): Promise<void> {
  const { client, record } = context
  // The shim keeps a write end of the stdin FIFO open, so the process gets
  // EOF only after CloseIO makes the shim close it.
  await client
    .closeStdin(record.config.containerId, record.id)
    .catch((err: unknown) => context.reportError(err, 'close the stdin of a process'))
}

/** Returns the keys to scan stdin for: only a terminal exec has them, Docker's by default. */
function detachKeysOf(config: ExecRecord['config']): Buffer | null {
  if (!config.tty) return null
  return config.detachKeys.length ? config.detachKeys : DEFAULT_DETACH_KEYS
}

function writeStreamError(output: Writable, framing: 'raw' | 'multiplexed', message: string): void {
  const payload = Buffer.from(`${message}\r\n`)
  if (framing === 'multiplexed') output.write(frameHeader(1, payload.length))
  output.write(payload)
}

/**
 * Exit status used when Tasks.Wait fails for good (the process was deleted
 * behind dexec's back, for example). 128 is the code Docker gives a start
 * failure it cannot classify.
 */
export function exitAfterWaitFailure(_err: unknown): ExitStatus {
  return { code: 128, exitedAt: undefined }
}

/** Returns the extra attributes of an exec_die event: the exit code, and `timedOut` and `killed` when set. */
export function exitAttributes(record: ExecRecord): Record<string, string> {
  const attributes: Record<string, string> = { exitCode: String(record.exitCode) }
  if (record.timedOut) attributes.timedOut = 'true'
  if (record.killed) attributes.killed = 'true'
  return attributes
}
