import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import type { Socket } from 'node:net'

import { FifoError } from './errors.js'

interface Request {
  resolve(): void
  reject(error: Error): void
}

/**
 * Creates FIFOs through one long-lived `/bin/sh` that runs mkfifo(1) per request. Node has no
 * mkfifo(3) binding, and spawning mkfifo from Node forks the whole server process
 * synchronously, which blocks the event loop for milliseconds per exec when the heap is large.
 * The shell forks only itself, which is small. Requests run one after another in the shell;
 * each ends with a marker line on stdout, and the lines before it are mkfifo's error output.
 */
class FifoMaker {
  #shell: ChildProcessWithoutNullStreams | null = null
  readonly #pending = new Map<number, Request>()
  #nextId = 0
  #output = ''
  #errorLines: string[] = []

  /** Creates the FIFOs at `paths` with mode 0600. */
  make(paths: string[]): Promise<void> {
    const shell = this.#start()
    const id = this.#nextId++
    const quoted = paths.map(quote).join(' ')
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#setRef(true)
      shell.stdin.write(`mkfifo -m 600 -- ${quoted} 2>&1 && echo "@ok ${id}" || echo "@fail ${id}"\n`)
    })
  }

  #start(): ChildProcessWithoutNullStreams {
    if (this.#shell) return this.#shell
    const shell = spawn('/bin/sh', [], { stdio: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } })
    this.#shell = shell
    this.#output = ''
    this.#errorLines = []
    shell.stdout.setEncoding('utf8')
    shell.stdout.on('data', (text: string) => this.#read(text))
    shell.stdin.on('error', () => {})
    shell.stderr.resume()
    const fail = (error: Error) => {
      if (this.#shell !== shell) return
      this.#shell = null
      const failure = new FifoError(`mkfifo helper shell failed: ${error.message}`, { cause: error })
      for (const request of this.#pending.values()) request.reject(failure)
      this.#pending.clear()
    }
    shell.once('error', fail)
    shell.once('exit', (code, signal) => fail(new Error(`exited with ${signal ?? code}`)))
    return shell
  }

  #read(text: string): void {
    this.#output += text
    let newline: number
    while ((newline = this.#output.indexOf('\n')) >= 0) {
      const line = this.#output.slice(0, newline)
      this.#output = this.#output.slice(newline + 1)
      const marker = /^@(ok|fail) (\d+)$/.exec(line)
      if (!marker) {
        this.#errorLines.push(line)
        continue
      }
      const request = this.#pending.get(Number(marker[2]))
      this.#pending.delete(Number(marker[2]))
      if (marker[1] === 'ok') request?.resolve()
      else request?.reject(new FifoError(`mkfifo failed: ${this.#errorLines.join('\n').trim()}`))
      this.#errorLines = []
    }
    if (this.#pending.size === 0) this.#setRef(false)
  }

  /** Keeps the event loop alive only while a request is pending, so the idle shell never keeps Node from exiting. */
  #setRef(referenced: boolean): void {
    const shell = this.#shell
    if (!shell) return
    const handles = [shell, shell.stdin, shell.stdout, shell.stderr] as Array<{ ref(): void; unref(): void } | Socket>
    for (const handle of handles) {
      if (referenced) handle.ref()
      else handle.unref()
    }
  }
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

const maker = new FifoMaker()

/** Creates FIFOs with mode 0600 at `paths`. A failure rejects with a FifoError that contains mkfifo's message. */
export function mkfifo(paths: string[]): Promise<void> {
  return maker.make(paths)
}
