import { Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'

import { copyChunks, discardStream, isChunkSource } from './chunk-source.js'
import { DetachKeyFilter } from './escape-scanner.js'
import { readIntoPool } from './pooled-reads.js'
import { StdcopyMuxer } from './stdcopy.js'

const EMPTY = Buffer.alloc(0)
const PROBE_INTERVAL_MS = 500

/** The framing of process output on the client connection. */
export type OutputFraming = 'raw' | 'multiplexed'

/** Direction of copied bytes: `in` from the client to stdin, `out` from the output to the client. */
export type StreamDirection = 'in' | 'out'

/** The reason a session stopped before the process exited. */
export type AttachInterruption = 'detached' | 'stdin-closed' | 'client-gone'

/** The two sides of one attach: the client connection and the process stdio. */
export interface AttachOptions {
  /** Bytes from the client (stdin), or null when stdin is not attached. */
  input: Readable | null
  /** The client connection that receives process output. It is never ended here. */
  output: Writable
  stdin: Writable | null
  stdout: Readable | null
  stderr: Readable | null
  /**
   * `multiplexed` frames stdout and stderr with stdcopy headers. `raw` copies
   * stdout as is and drops stderr, as Docker does for a start with Tty set.
   */
  framing: OutputFraming
  /**
   * The process has a terminal. Then stdin EOF ends the session and leaves
   * the process running, instead of closing the process's stdin.
   */
  tty: boolean
  /** Detach keys to scan stdin for, or null to copy stdin untouched. */
  detachKeys: Buffer | null
  /** Called once the stdin stream has been ended after client EOF (non-terminal only). */
  onStdinEnd?: () => void | Promise<void>
  /**
   * Called with the length of each chunk copied to stdin or to the client, until stop().
   * Output counts payload bytes, without stdcopy headers. It runs once per chunk, on the copy path.
   */
  onBytes?: (direction: StreamDirection, bytes: number) => void
}

/**
 * Copies stdin from the client to the process and the process output to the
 * client, with backpressure both ways: a slow client slows the process
 * instead of filling memory.
 *
 * `interrupted` resolves when the session ends before the process does: the
 * detach keys were typed, a terminal's stdin reached EOF, or the client went
 * away. The owner then calls stop(). After the process exits the owner calls
 * drain() to wait for its remaining output.
 */
export class AttachSession {
  readonly interrupted: Promise<AttachInterruption>
  private resolveInterrupted!: (reason: AttachInterruption) => void
  private readonly outputs: Readable[]
  private readonly pending = new Set<Readable>()
  private readonly ended: Promise<void>
  private stopped = false
  private lastActivity = Date.now()
  private stdinFilter: DetachKeyFilter | null = null
  private detachKeysTyped = false
  private stdinFailed = false
  private probeTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: AttachOptions) {
    this.interrupted = new Promise((resolve) => (this.resolveInterrupted = resolve))
    this.outputs = [options.stdout, options.stderr].filter((s): s is Readable => s !== null)
    const writers = this.pipeOutput()
    this.ended = Promise.all(this.outputs.map((s) => this.track(s, writers.get(s)))).then(() => undefined)
    this.pipeInput()
    options.output.once('close', () => this.interrupt('client-gone'))
    // A client may go away while the process is being started, before this session exists.
    if (options.output.destroyed) this.interrupt('client-gone')
    options.output.once('error', () => this.interrupt('client-gone'))
    options.input?.once('error', () => this.interrupt('client-gone'))
    // The client is probed from the start, because its EOF may have come before this session
    // existed, and while the process's stdin is full its socket is not read at all.
    if (options.input) this.probeClient()
  }

  /** Tells whether every process output stream has reached EOF. */
  get outputEnded(): boolean {
    return this.pending.size === 0
  }

  /**
   * Waits for the remaining output after the process exited. It gives up
   * only when no byte has moved for `idleMs` while the client was keeping up,
   * so a slow client still gets every byte, but a background process that
   * keeps the output open cannot keep the session open forever.
   */
  async drain(idleMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const idle = new Promise<void>((resolve) => {
      timer = setInterval(() => {
        const clientBusy = this.options.output.writableNeedDrain
        if (!clientBusy && Date.now() - this.lastActivity > idleMs) resolve()
      }, Math.min(250, idleMs))
    })
    await Promise.race([this.ended, idle])
    clearInterval(timer)
  }

  /**
   * Stops copying in both directions. Process output that still arrives is
   * read and discarded, so the process never blocks on a full pipe.
   */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.probeTimer)
    for (const stream of this.outputs) {
      stream.unpipe()
      discardStream(stream)
    }
    if (this.options.input) {
      this.options.input.unpipe()
      this.stdinFilter?.unpipe()
      this.options.input.resume()
    }
  }

  /**
   * Watches whether the client is still there. Its input does not tell: a half-close (stdin
   * done, output still wanted) and a full close look the same on the read side, and input is
   * not read while the process's stdin is full. A zero-length write distinguishes them on a
   * unix socket, because it fails with EPIPE once the peer has closed and succeeds after a
   * half-close.
   * NOTE: on TCP a zero-length write sends nothing, so a client that closed
   * without a reset is noticed only when output fails to reach it.
   */
  private probeClient(): void {
    const { output } = this.options
    if (this.stopped) return
    const probe = () => {
      if (output.writable) output.write(EMPTY)
    }
    probe()
    this.probeTimer = setInterval(probe, PROBE_INTERVAL_MS)
    this.probeTimer.unref()
  }

  private interrupt(reason: AttachInterruption): void {
    if (!this.stopped) this.resolveInterrupted(reason)
  }

  /**
   * Resolves once `stream` has ended and, when it goes through a frame writer, once that
   * writer has handed its last frame to the client connection. The writer buffers up to its
   * high-water mark while the client is slow, so the end of the process output alone does
   * not mean every byte left.
   */
  private track(stream: Readable, writer: Writable | undefined): Promise<void> {
    // A stream with nothing buffered emits 'end' without being read, so a
    // process that wrote nothing may have ended its stream already.
    if (stream.readableEnded || stream.destroyed) return Promise.resolve()
    this.pending.add(stream)
    // A ChunkSource emits no 'data'; its copy marks the activity itself.
    if (!isChunkSource(stream)) stream.on('data', () => (this.lastActivity = Date.now()))
    const source = new Promise<void>((resolve) => {
      stream.once('end', resolve)
      stream.once('close', resolve)
    })
    return source
      .then(() => {
        // pipe() ends the writer only after a clean end of the source.
        if (!writer || !stream.readableEnded) return
        return new Promise<void>((resolve) => {
          if (writer.writableFinished || writer.destroyed) return resolve()
          writer.once('finish', resolve)
          writer.once('close', resolve)
          writer.once('error', () => resolve())
        })
      })
      .then(() => {
        this.pending.delete(stream)
      })
  }

  /**
   * Starts copying the process output; returns the frame writer of each multiplexed stream
   * that goes through one. A ChunkSource writes straight to the output instead.
   */
  private pipeOutput(): Map<Readable, Writable> {
    const { output, stdout, stderr, framing } = this.options
    const writers = new Map<Readable, Writable>()
    const copied =
      framing === 'multiplexed' ? ([[stdout, 1], [stderr, 2]] as const) : ([[stdout, null]] as const)
    const muxer = new StdcopyMuxer(output)
    for (const [stream, frame] of copied) {
      if (!stream) continue
      if (isChunkSource(stream)) {
        copyChunks(stream, output, { frame, onChunk: (length) => this.onOutput(length) })
        continue
      }
      this.countBytes('out', [stream])
      if (frame === null) {
        stream.pipe(output, { end: false })
        continue
      }
      const writable = muxer.writable(frame)
      // A write to a client that went away fails here; without a
      // listener the error would be thrown as uncaught.
      writable.on('error', () => this.interrupt('client-gone'))
      stream.pipe(writable)
      writers.set(stream, writable)
    }
    if (framing === 'raw' && stderr) discardStream(stderr)
    return writers
  }

  /** Records the activity and the byte count of one output chunk that copyChunks wrote. */
  private onOutput(length: number): void {
    this.lastActivity = Date.now()
    if (!this.stopped) this.options.onBytes?.('out', length)
  }

  private pipeInput(): void {
    const { input, stdin, tty, detachKeys } = this.options
    if (!input) return
    if (!stdin) {
      input.resume()
      return
    }
    let source: Readable = input
    if (tty && detachKeys && detachKeys.length > 0) {
      this.stdinFilter = new DetachKeyFilter(detachKeys)
      this.stdinFilter.once('detach', () => {
        this.detachKeysTyped = true
        this.interrupt('detached')
      })
      source = input.pipe(this.stdinFilter)
    }
    if (input.readableEnded) process.nextTick(() => this.onInputEnd())
    else source.once('end', () => this.onInputEnd())
    const pooled =
      source === input &&
      input instanceof Socket &&
      readIntoPool(input, (chunk, release) => this.toStdin(chunk, release))
    if (pooled) {
      // The process may exit (closing its stdin) while the client still types.
      stdin.on('error', () => (this.stdinFailed = true))
      input.resume()
      return
    }
    this.countBytes('in', [source])
    stdin.on('error', () => source.unpipe(stdin))
    source.pipe(stdin, { end: false })
  }

  /** Writes one chunk that readIntoPool read from the client into the process's stdin. */
  private toStdin(chunk: Buffer, release: () => void): void {
    const stdin = this.options.stdin!
    if (this.stopped || this.stdinFailed || stdin.destroyed) return release()
    this.options.onBytes?.('in', chunk.length)
    // The callback also runs, with an error, for a write that a failure cut off.
    stdin.write(chunk, () => release())
  }

  private countBytes(direction: StreamDirection, streams: (Readable | null)[]): void {
    const { onBytes } = this.options
    if (!onBytes) return
    for (const stream of streams) {
      stream?.on('data', (chunk: Buffer) => {
        if (!this.stopped) onBytes(direction, chunk.length)
      })
    }
  }

  private onInputEnd(): void {
    if (this.stopped || this.detachKeysTyped) return
    if (this.options.tty) {
      // EOF on a terminal's stdin leaves the process running, but a client that closed
      // altogether is gone, so one probe decides between the two.
      const { output } = this.options
      if (!output.writable) return this.interrupt('client-gone')
      output.write(EMPTY, (err) => this.interrupt(err ? 'client-gone' : 'stdin-closed'))
      return
    }
    this.options.stdin!.end(() => void this.options.onStdinEnd?.())
  }
}
