import type { ContainerdClient } from '@dexec/containerd'
import type { ExecPersistence } from '@dexec/exec-store'

import type { EventBus } from './events.js'
import type { StartContext } from './exec-start.js'
import type { ExecObserver } from './observer.js'

/** The decoded Engine API body of an exec create request. */
export interface CreateExecRequest {
  Cmd: string[] | null
  Env: string[] | null
  User: string
  WorkingDir: string
  Tty: boolean
  AttachStdin: boolean
  AttachStdout: boolean
  AttachStderr: boolean
  Privileged: boolean
  DetachKeys: string
  ConsoleSize: [number, number] | null
  /** dexec extension: seconds the process may run; 0 or absent for the server default. */
  Timeout?: number
}

/** A start whose checks passed, ready for startAttached. */
export type PreparedStart = StartContext

/** Options of a start: the Engine API body, decoded. */
export interface StartExecRequest {
  Tty: boolean
  ConsoleSize: [number, number] | null
}

/** Options of an ExecService. */
export interface ExecServiceOptions {
  client: ContainerdClient
  /** Directory for the FIFOs of running execs; created if missing. */
  stateDir: string
  /** Kill an attached process with SIGKILL when its client goes away (default true). */
  killOnDisconnect?: boolean
  /** Interval of the two-phase GC of finished exec records, in ms (default 5 minutes). */
  gcIntervalMs?: number
  /**
   * How many execs of one container are created and started in containerd at
   * the same time (default 4); more wait their turn. The runc shim of
   * containerd 1.6 stalls for tens of seconds when many short execs start at
   * once.
   */
  maxConcurrentStarts?: number
  /** Delete execs that were created but never started after this many ms (default: never). */
  maxIdleMs?: number
  events?: EventBus
  /** Deadline of execs whose create request sets no `Timeout`, in seconds (default 0, none). */
  execTimeoutSeconds?: number
  /** Time between SIGTERM and SIGKILL at an exec's deadline, in seconds (default 10). */
  execTimeoutGraceSeconds?: number
  /**
   * Durable storage of the exec records. With it, open() restores the records and adopts
   * the execs that were running; every later change is saved before the call that made it returns.
   */
  persistence?: ExecPersistence
  /** Receives failures that cannot be returned to a caller, such as a lost event stream. */
  onError?: (err: unknown, context: { operation: string; execId?: string; containerId?: string }) => void
  /** Receives record changes, stream byte counts, GC passes and containerd reconnects. */
  observer?: ExecObserver
}
