import { constants as fsConstants, open as openCallback } from 'node:fs'
import { mkdir, rm, rmdir, unlink } from 'node:fs/promises'
import { Socket, type NetConnectOpts, type SocketConstructorOpts } from 'node:net'
import { join } from 'node:path'
import type { DuplexOptions, Readable, Writable } from 'node:stream'
import { promisify } from 'node:util'

import { FifoError } from './errors.js'
import { mkfifo } from './mkfifo.js'

// The callback form returns a bare fd. A FileHandle would close its fd when
// garbage collected, behind the back of the socket that reads it.
const openFd = promisify(openCallback)

/** The stdio FIFOs to create for one process. */
export interface FifoSetOptions {
  /** Parent directory; the set gets its own subdirectory named after `id`. */
  directory: string
  id: string
  stdin: boolean
  stdout: boolean
  stderr: boolean
}

/**
 * The FIFOs of one process and this side's ends of them. The paths go to
 * containerd (empty for a stream not requested); the streams are ours.
 */
export interface FifoSet {
  readonly directory: string
  readonly paths: { stdin: string; stdout: string; stderr: string }
  /** Writes into the process's stdin; ending it gives the process EOF. */
  readonly stdin: Writable | null
  readonly stdout: FifoReadEnd | null
  readonly stderr: FifoReadEnd | null
  /** Destroys the streams that are still open and removes the FIFOs. Safe to call twice. */
  close(): Promise<void>
}

/**
 * Creates the FIFOs of a process and opens this side's ends without ever
 * blocking the event loop.
 *
 * Linux lets a FIFO be opened for reading with O_NONBLOCK before any writer
 * exists. The write end is opened O_RDWR: with O_WRONLY and no reader yet the
 * open fails with ENXIO, while O_RDWR counts as its own reader. Bytes written
 * before the shim opens its end wait in the pipe. Ending the stdin stream
 * closes the only writer, so the shim reads EOF and closes the process's stdin.
 */
export async function createFifoSet(options: FifoSetOptions): Promise<FifoSet> {
  const directory = join(options.directory, options.id)
  const paths = {
    stdin: options.stdin ? join(directory, 'stdin') : '',
    stdout: options.stdout ? join(directory, 'stdout') : '',
    stderr: options.stderr ? join(directory, 'stderr') : '',
  }
  const requested = [paths.stdin, paths.stdout, paths.stderr].filter(Boolean)
  const streams: Socket[] = []
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 })
    if (requested.length) await mkfifo(requested)
    const stdin = paths.stdin ? await openWriteEnd(paths.stdin) : null
    if (stdin) streams.push(stdin)
    const stdout = paths.stdout ? await openReadEnd(paths.stdout) : null
    if (stdout) streams.push(stdout)
    const stderr = paths.stderr ? await openReadEnd(paths.stderr) : null
    if (stderr) streams.push(stderr)
    // A failing FIFO end also ends or closes its stream, and the owner acts on
    // that. The listener keeps the error from being thrown as uncaught.
    for (const stream of streams) stream.on('error', () => {})
    return new OpenFifoSet(directory, paths, stdin, stdout, stderr)
  } catch (err) {
    for (const stream of streams) stream.destroy()
    await rm(directory, { recursive: true, force: true })
    if (err instanceof FifoError) throw err
    throw new FifoError(`failed to create stdio FIFOs in ${directory}: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/**
 * Opens the read ends of the stdout and stderr FIFOs that an earlier process of this program
 * created for exec `id`, so that the shim can keep writing into them. Missing FIFOs stay null.
 */
export async function reopenFifoSet(options: { directory: string; id: string }): Promise<FifoSet> {
  const directory = join(options.directory, options.id)
  const paths = { stdin: '', stdout: join(directory, 'stdout'), stderr: join(directory, 'stderr') }
  const stdout = await openReadEnd(paths.stdout).catch(() => null)
  const stderr = await openReadEnd(paths.stderr).catch(() => null)
  for (const stream of [stdout, stderr]) stream?.on('error', () => {})
  return new OpenFifoSet(directory, paths, null, stdout, stderr)
}

class OpenFifoSet implements FifoSet {
  private closing: Promise<void> | undefined

  constructor(
    readonly directory: string,
    readonly paths: { stdin: string; stdout: string; stderr: string },
    readonly stdin: Socket | null,
    readonly stdout: FifoReadEnd | null,
    readonly stderr: FifoReadEnd | null,
  ) {}

  close(): Promise<void> {
    this.closing ??= this.release()
    return this.closing
  }

  private async release(): Promise<void> {
    for (const stream of [this.stdin, this.stdout, this.stderr]) stream?.destroy()
    await removeFifoDirectory(this.directory, Object.values(this.paths))
  }
}

/**
 * Removes the FIFOs at `paths` and their directory. The paths are known, so this costs one
 * unlink each and one rmdir. Only a directory that contains something else is removed
 * recursively.
 */
async function removeFifoDirectory(directory: string, paths: string[]): Promise<void> {
  await Promise.all(paths.filter(Boolean).map((path) => unlink(path).catch(() => undefined)))
  await rmdir(directory).catch(() => rm(directory, { recursive: true, force: true }))
}

async function openReadEnd(path: string): Promise<FifoReadEnd> {
  const fd = await openFd(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  return new FifoReadEnd(fd)
}

/** Takes a chunk in memory that is read into again afterwards; false means it is still in use. */
export type FifoChunkHandler = (chunk: Buffer) => boolean

// Most execs write little, so reads start small and grow to the default capacity of a pipe
// once a read fills the buffer.
const FIRST_READ_SIZE = 8 * 1024
const READ_SIZE = 64 * 1024

/** The memory a FifoReadEnd reads into, and where its reads go. */
class ReadTarget {
  memory = Buffer.allocUnsafeSlow(FIRST_READ_SIZE)
  handler: FifoChunkHandler | null = null
  stream: Readable | null = null

  /** Takes one read of `length` bytes; false stops reading until resume(). */
  take(length: number): boolean {
    const chunk = this.memory.subarray(0, length)
    const size = length === this.memory.length ? READ_SIZE : this.memory.length
    if (this.handler) {
      const kept = !this.handler(chunk)
      if (kept || size !== this.memory.length) this.memory = Buffer.allocUnsafeSlow(size)
      return true
    }
    if (size !== this.memory.length) this.memory = Buffer.allocUnsafeSlow(size)
    // A plain Readable hands out its chunks for good, so it gets a copy of the exact size.
    return this.stream!.push(Buffer.from(chunk))
  }
}

/**
 * The read end of an output FIFO. It reads into one buffer that it reuses for every read: 8 KiB,
 * or 64 KiB once a read has filled it. Each read goes to the handler set with setChunkHandler(),
 * or, with no handler, a copy of it is pushed as by a plain Readable.
 *
 * Reusing the buffer matters for speed. A new Buffer for every read of a fast process made V8
 * run a full garbage collection every few dozen MiB, which cost dexec a third of its CPU time.
 */
export class FifoReadEnd extends Socket {
  readonly #target: ReadTarget

  constructor(fd: number) {
    const target = new ReadTarget()
    // The constructor takes `onread` as net.connect() does, but the types list it only there.
    const options: SocketConstructorOpts & Pick<NetConnectOpts, 'onread'> = {
      fd,
      readable: true,
      writable: false,
      // Node calls `buffer` after each read for the memory of the next one: the same buffer
      // unless the handler kept the last chunk.
      onread: { buffer: () => target.memory, callback: (length: number) => target.take(length) },
    }
    super(options)
    target.stream = this
    this.#target = target
  }

  /**
   * Sends later reads to `handler` after handing it the chunks already buffered. The chunk
   * passed to the handler is only valid during the call unless the handler returns false.
   * With null the stream goes back to pushing copies.
   */
  setChunkHandler(handler: FifoChunkHandler | null): void {
    if (handler) {
      let buffered = this.read() as Buffer | null
      while (buffered !== null) {
        handler(buffered)
        buffered = this.read() as Buffer | null
      }
    }
    this.#target.handler = handler
  }
}

// Bytes queued for the stdin FIFO before the client connection is paused. Node's default of
// 16 KiB is a quarter of one 64 KiB read from the client, so the connection would pause and
// resume on nearly every read while the shim empties the FIFO.
const STDIN_HIGH_WATER_MARK = 256 * 1024

async function openWriteEnd(path: string): Promise<Socket> {
  const fd = await openFd(path, fsConstants.O_RDWR | fsConstants.O_NONBLOCK)
  // net.Socket passes its options on to Duplex, which reads the high-water mark.
  const options: SocketConstructorOpts & DuplexOptions = {
    fd,
    readable: false,
    writable: true,
    writableHighWaterMark: STDIN_HIGH_WATER_MARK,
  }
  return new Socket(options)
}
