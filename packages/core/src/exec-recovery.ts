import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { isContainerdError, reopenFifoSet, type ContainerdClient, type ProcessState } from '@dexec/containerd'
import type { ExecRecord } from '@dexec/exec-store'
import { discardStream } from '@dexec/stream'

import { armDeadline, remainingMsOf } from './deadline.js'
import { exitAfterWaitFailure, exitAttributes, waitForExit } from './exec-start.js'

/** The parts of an ExecService that adoption and reconciliation use. */
export interface RecoveryContext {
  client: ContainerdClient
  /** Directory of the FIFOs of running execs. */
  stateDir: string
  /** Time between SIGTERM and SIGKILL when an exec runs past its deadline, in ms. */
  timeoutGraceMs: number
  /** Publishes an event about the exec, with its container's labels while the container exists. */
  publish(record: ExecRecord, action: string, extra?: Record<string, string>): Promise<void>
  reportError(err: unknown, operation: string, record: ExecRecord): void
}

/**
 * Exit code recorded when containerd no longer has a process whose exit dexec did not record.
 * It is the code that dexec also records when Tasks.Wait fails for good.
 */
export const LOST_EXIT_CODE = 128

/**
 * Follows an exec that a previous dexec started and left running: reads its process from
 * containerd, waits for its exit if it still runs, then records the exit, emits exec_die and
 * deletes the process. Meanwhile its output FIFOs are read and the bytes dropped, so that the
 * process does not block on a full pipe.
 */
export async function adoptExec(context: RecoveryContext, record: ExecRecord): Promise<void> {
  const fifos = await reopenFifoSet({ directory: context.stateDir, id: record.id })
  for (const stream of [fifos.stdout, fifos.stderr]) if (stream) discardStream(stream)
  try {
    await followAdopted(context, record)
  } finally {
    await fifos.close()
  }
}

async function followAdopted(context: RecoveryContext, record: ExecRecord): Promise<void> {
  const { client } = context
  const { containerId } = record.config
  let state: ProcessState
  try {
    state = await retryWhileUnavailable(() => client.getProcess(containerId, record.id))
  } catch (err) {
    if (!isContainerdError(err, 'NOT_FOUND')) context.reportError(err, 'read the process of an adopted exec', record)
    // NOTE: the process (or its whole task) is gone from containerd and took its exit status
    // with it, so the real exit code is unknown and LOST_EXIT_CODE is recorded in its place.
    await completeExit(context, record, LOST_EXIT_CODE)
    return
  }
  if (state.status === 'created') {
    // The previous dexec stopped between Exec and Start: the process never ran.
    record.failStart(LOST_EXIT_CODE, 'dexec restarted before the process was started')
  } else if (state.status === 'stopped') {
    await completeExit(context, record, state.exitStatus)
  } else {
    if (record.pid === 0 && state.pid > 0) record.setPid(state.pid)
    const disarm = armRecoveredDeadline(context, record)
    const status = await waitForExit(client, containerId, record.id).catch(exitAfterWaitFailure)
    disarm()
    await completeExit(context, record, status.code)
  }
  await client
    .deleteProcess(containerId, record.id)
    .catch((err: unknown) => {
      if (!isContainerdError(err, 'NOT_FOUND')) context.reportError(err, 'delete an adopted process', record)
    })
}

/**
 * Completes the running execs whose exit containerd reported while dexec was not listening,
 * for example during a containerd restart. Execs that still run, or whose process containerd
 * no longer has, are left to the Wait of their start, which records them.
 */
export async function reconcileRunning(context: RecoveryContext, records: Iterable<ExecRecord>): Promise<void> {
  const running = [...records].filter((record) => record.running && record.pid !== 0)
  await Promise.all(
    running.map(async (record) => {
      let state: ProcessState
      try {
        state = await context.client.getProcess(record.config.containerId, record.id)
      } catch (err) {
        // UNAVAILABLE: containerd went away again, and the next reconnect runs this again.
        const expected = isContainerdError(err, 'UNAVAILABLE') || isContainerdError(err, 'NOT_FOUND')
        if (!expected) context.reportError(err, 'read the process of a running exec', record)
        return
      }
      if (state.status === 'stopped') await completeExit(context, record, state.exitStatus)
    }),
  )
}

/** Records an exit and emits exec_die, unless the exec has exited already. */
async function completeExit(context: RecoveryContext, record: ExecRecord, exitCode: number): Promise<void> {
  if (record.finish(exitCode)) await context.publish(record, 'exec_die', exitAttributes(record))
}

function armRecoveredDeadline(context: RecoveryContext, record: ExecRecord): () => void {
  const remainingMs = remainingMsOf(record)
  if (remainingMs === null) return () => {}
  return armDeadline({
    record,
    remainingMs,
    graceMs: context.timeoutGraceMs,
    kill: (signal) =>
      context.client
        .killProcess(record.config.containerId, record.id, signal)
        .catch((err: unknown) => context.reportError(err, `send signal ${signal} to a process past its deadline`, record)),
  })
}

/** Calls `operation` again with a growing pause (up to 5 s) while containerd is unavailable. */
export async function retryWhileUnavailable<T>(operation: () => Promise<T>): Promise<T> {
  let backoffMs = 100
  for (;;) {
    try {
      return await operation()
    } catch (err) {
      if (!isContainerdError(err, 'UNAVAILABLE')) throw err
    }
    await sleep(backoffMs)
    backoffMs = Math.min(backoffMs * 2, 5_000)
  }
}

/**
 * Removes the FIFO directories that a previous dexec left in the state
 * directory, so that crashes do not make it grow. The directories of the
 * execs in `keep` stay, because their adoption reads the FIFOs again.
 * NOTE: the state directory must not be shared by two dexec instances.
 */
export async function removeStaleFifos(stateDir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const entry of await readdir(stateDir, { withFileTypes: true })) {
    if (entry.isDirectory() && !keep.has(entry.name)) {
      await rm(join(stateDir, entry.name), { recursive: true, force: true })
    }
  }
}
