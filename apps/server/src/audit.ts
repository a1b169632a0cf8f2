import type { Socket } from 'node:net'
import { basename, dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import type { DockerEvent, ExecObserver, ExecService } from '@dexec/core'
import type { Logger } from 'pino'
import { createStream, type RotatingFileStream } from 'rotating-file-stream'

import { describeCaller, type AuditCaller } from './caller.js'

/** Options of an AuditLog. */
export interface AuditLogOptions {
  /** File that receives the lines. Rotated files get `.1` (newest) to `.5` appended. */
  path: string
  /** Size in MB (MiB) at which the file is rotated (default 100). Fractions are allowed. */
  maxSizeMb?: number
  logger: Logger
}

// How long close() waits for the exits of attached execs whose streams the shutdown cut.
const CLOSE_GRACE_MS = 2_000

/** How many rotated files are kept besides the current one. */
export const AUDIT_ROTATED_FILES = 5

/** Fields that both lines of an exec carry. */
interface AuditSubject {
  execId: string
  containerId: string
  containerName: string
  command: string[]
  /** The user the exec runs as; `''` when the container's default applies. */
  user: string
  tty: boolean
}

/** State of one started exec, kept until its end line is written. */
interface Session extends AuditSubject {
  startedAt: bigint
  callerDescribed: Promise<AuditCaller | null>
  /** The start asked for Detach, or the client typed the detach keys later. */
  detached: boolean
  bytesIn: number
  bytesOut: number
  /** Settles once the start line is written, so that the end line always follows it. */
  startWritten: Promise<void>
  /** Started by an earlier dexec process and adopted by this one after a restart. */
  adopted: boolean
}

/** Outcome of an exec, for its end line. */
interface Outcome {
  exitCode: number | null
  killed?: boolean
  timedOut?: boolean
  /** Reason the start failed, for a start that never ran the process. */
  error?: string | null
}

/** A start request seen by the routing, waiting for its exec_start event. */
interface PendingRequest {
  callerDescribed: Promise<AuditCaller | null>
  detach: boolean
}

/**
 * Writes one JSON line when an exec starts and one when it ends, to a file rotated by size.
 * The lines describe who ran what and how it ended, never the stream content. Writes go
 * through a buffered stream, so they never hold up an exec, and close() flushes them.
 * NOTE: a line still queued when dexec is killed with SIGKILL is lost (the caller lookup takes
 * about 12 ms). An exec adopted after such a restart then has an end line without a start line.
 */
export class AuditLog {
  readonly observer: ExecObserver
  private readonly stream: RotatingFileStream
  private readonly logger: Logger
  private readonly requests = new Map<string, PendingRequest>()
  private readonly sessions = new Map<string, Session>()
  private readonly writing = new Set<Promise<void>>()
  private service: ExecService | undefined

  constructor(options: AuditLogOptions) {
    this.logger = options.logger
    const name = basename(options.path)
    const maxBytes = Math.max(1, Math.round((options.maxSizeMb ?? 100) * 1024 * 1024))
    this.stream = createStream((index) => (index ? `${name}.${index}` : name), {
      path: dirname(options.path),
      size: `${maxBytes}B`,
      rotate: AUDIT_ROTATED_FILES,
      mode: 0o600,
    })
    this.stream.on('error', (err) => {
      this.logger.error({ err, path: options.path }, 'audit log write failed')
    })
    this.observer = {
      execChanged: (record, change) => {
        if (change !== 'start-failed') return
        this.end(record.id, { exitCode: record.exitCode, error: record.startError ?? null })
      },
      streamBytes: (execId, direction, bytes) => {
        const session = this.sessions.get(execId)
        if (!session) return
        if (direction === 'in') session.bytesIn += bytes
        else session.bytesOut += bytes
      },
    }
  }

  /** Follows the exec events of the service. Returns the function that stops it. */
  track(service: ExecService): () => void {
    this.service = service
    return service.events.subscribe((event) => this.onEvent(event))
  }

  /**
   * Notes a start request before it runs, so that its start line names the caller. Returns
   * the function to call once the request was handled, which drops the note if no start came of it.
   */
  noteStartRequest(execId: string, socket: Socket, detach: boolean): () => void {
    const request = { callerDescribed: describeCaller(socket).catch(() => null), detach }
    this.requests.set(execId, request)
    return () => {
      if (this.requests.get(execId) === request) this.requests.delete(execId)
    }
  }

  /**
   * Waits up to `graceMs` for attached execs to end, writes what is queued and closes the file.
   * NOTE: execs still running then (detached ones, typically) get no end line.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    const deadline = Date.now() + graceMs
    while ([...this.sessions.values()].some((s) => !s.detached) && Date.now() < deadline) {
      await sleep(20)
    }
    while (this.writing.size > 0) await Promise.all(this.writing)
    await new Promise<void>((resolve) => this.stream.end(resolve))
  }

  private onEvent(event: DockerEvent): void {
    const execId = event.Actor.Attributes.execID
    if (execId === undefined) return
    if (event.Action.startsWith('exec_start:')) this.start(execId, event)
    else if (event.Action === 'exec_detach') {
      const session = this.sessions.get(execId)
      if (session) session.detached = true
    } else if (event.Action === 'exec_die') {
      const attributes = event.Actor.Attributes
      this.end(
        execId,
        {
          exitCode: Number(attributes.exitCode),
          killed: attributes.killed === 'true',
          timedOut: attributes.timedOut === 'true',
        },
        attributes.name,
      )
    }
  }

  private start(execId: string, event: DockerEvent): void {
    const config = this.service?.store.get(execId)?.config
    const request = this.requests.get(execId)
    this.requests.delete(execId)
    const time = new Date().toISOString()
    const session: Session = {
      execId,
      containerId: event.Actor.ID,
      containerName: event.Actor.Attributes.name ?? event.Actor.ID,
      command: config ? [...config.cmd] : [],
      user: config?.user ?? '',
      tty: config?.tty ?? false,
      startedAt: process.hrtime.bigint(),
      callerDescribed: request?.callerDescribed ?? Promise.resolve(null),
      detached: request?.detach ?? false,
      bytesIn: 0,
      bytesOut: 0,
      startWritten: Promise.resolve(),
      adopted: false,
    }
    this.sessions.set(execId, session)
    const detached = session.detached
    session.startWritten = this.queue(async () => {
      const caller = await session.callerDescribed
      return { time, event: 'start', ...subjectOf(session), caller, detached }
    })
  }

  private end(execId: string, outcome: Outcome, containerName?: string): void {
    const session = this.sessions.get(execId) ?? this.adoptedSession(execId, containerName)
    if (!session) return
    this.sessions.delete(execId)
    const time = new Date().toISOString()
    const result = {
      exitCode: outcome.exitCode,
      durationMs: Math.round(Number(process.hrtime.bigint() - session.startedAt) / 1e6),
      bytesIn: session.bytesIn,
      bytesOut: session.bytesOut,
      detached: session.detached,
      killed: outcome.killed ?? false,
      timedOut: outcome.timedOut ?? false,
      error: outcome.error ?? null,
      adopted: session.adopted,
    }
    this.queue(async () => {
      await session.startWritten
      const caller = await session.callerDescribed
      return { time, event: 'end', ...subjectOf(session), caller, ...result }
    })
  }

  /**
   * Rebuilds the session of an exec that an earlier dexec process started, from its restored
   * record, so that its exit still gets an end line. Its start line is in the log already. The
   * caller and the byte counts died with the earlier process: caller is null, the counts 0.
   */
  private adoptedSession(execId: string, containerName: string | undefined): Session | undefined {
    const record = this.service?.store.get(execId)
    if (!record?.startedAt) return undefined
    const elapsedNs = BigInt(Math.max(0, Date.now() - record.startedAt.getTime())) * 1_000_000n
    const { config } = record
    return {
      execId,
      containerId: config.containerId,
      containerName: containerName ?? config.containerId,
      command: [...config.cmd],
      user: config.user,
      tty: config.tty,
      startedAt: process.hrtime.bigint() - elapsedNs,
      callerDescribed: Promise.resolve(null),
      detached: record.detached,
      bytesIn: 0,
      bytesOut: 0,
      startWritten: Promise.resolve(),
      adopted: true,
    }
  }

  /** Writes the line that `build` resolves to; close() waits for every queued line. */
  private queue(build: () => Promise<Record<string, unknown>>): Promise<void> {
    const written = build().then((line) => {
      if (this.stream.writableEnded) {
        const ids = { execId: line.execId, event: line.event }
        this.logger.warn(ids, 'audit line lost: the log is closed')
        return
      }
      this.stream.write(`${JSON.stringify(line)}\n`)
    })
    const tracked = written.catch((err: unknown) => {
      this.logger.error({ err }, 'failed to write an audit line')
    })
    this.writing.add(tracked)
    void tracked.finally(() => this.writing.delete(tracked))
    return tracked
  }
}

function subjectOf(session: Session): AuditSubject {
  const { execId, containerId, containerName, command, user, tty } = session
  return { execId, containerId, containerName, command, user, tty }
}
