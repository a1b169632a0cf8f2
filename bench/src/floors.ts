// Floors: what the same work costs without an Engine API server in between. The roundtrip
// floor drives packages/containerd directly; the throughput floors run `ctr task exec`.

import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Readable } from 'node:stream'

import { ContainerdClient, createFifoSet, type OciProcess } from '@dexec/containerd'
import type { ContainerdInstance } from '@dexec/testkit'

import { zeroWriter } from './figures.js'
import { CONTAINER } from './stack.js'

const MIB = 1024 * 1024

/** Runs `true` through packages/containerd with FIFO stdio, the way dexec does minus HTTP. */
export class ContainerdFloor {
  readonly #client: ContainerdClient
  readonly #fifoDir: string
  #process: OciProcess | undefined

  constructor(readonly containerd: ContainerdInstance) {
    this.#client = new ContainerdClient({ address: containerd.address, namespace: 'default' })
    this.#fifoDir = join(containerd.directory, 'bench-floor')
  }

  /** Creates, starts, waits for and deletes one `true` process; returns the time in ms. */
  async roundtrip(): Promise<number> {
    const started = performance.now()
    const container = await this.#client.getContainer(CONTAINER)
    this.#process ??= container.spec!.process!
    const execId = randomBytes(16).toString('hex')
    const fifos = await createFifoSet({ directory: this.#fifoDir, id: execId, stdin: false, stdout: true, stderr: true })
    try {
      const process = { ...this.#process, args: ['true'], terminal: false }
      await this.#client.execProcess({ containerId: CONTAINER, execId, process, terminal: false, ...fifos.paths })
      const output = Promise.all([drain(fifos.stdout!), drain(fifos.stderr!)])
      await this.#client.startProcess(CONTAINER, execId)
      const exit = await this.#client.waitProcess(CONTAINER, execId)
      await output
      await this.#client.deleteProcess(CONTAINER, execId)
      if (exit.code !== 0) throw new Error(`floor: true exited with ${exit.code}`)
    } finally {
      await fifos.close()
    }
    return performance.now() - started
  }

  close(): void {
    this.#client.close()
  }
}

function drain(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('error', reject)
    stream.once('end', resolve)
    stream.resume()
  })
}

/**
 * Reads `bytes` of stdout from `ctr task exec`, or with `tty` from `ctr task exec -t` run under
 * `script` so that ctr has a terminal. Returns MiB/s, measured from spawn to exit.
 */
export async function ctrThroughput(containerd: ContainerdInstance, bytes: number, tty: boolean): Promise<number> {
  const execId = `floor-${randomBytes(6).toString('hex')}`
  const ctrArgs = ['-a', containerd.address, '-n', 'default', 'task', 'exec', '--exec-id', execId]
  ctrArgs.push('--fifo-dir', containerd.fifoDir)
  if (tty) ctrArgs.push('-t')
  ctrArgs.push(CONTAINER, ...zeroWriter(bytes))
  const [command, args] = tty
    ? ['script', ['-q', '-e', '-f', '-c', ['ctr', ...ctrArgs.map(shellQuote)].join(' '), '/dev/null']]
    : ['ctr', ctrArgs]
  const started = performance.now()
  // script forwards its stdin to the terminal, so stdin stays an open pipe until the end.
  const child = spawn(command as string, args as string[], { stdio: ['pipe', 'pipe', 'pipe'] })
  let count = 0
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (count += chunk.length))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (exitCode) => resolve(exitCode))
  })
  const elapsed = performance.now() - started
  child.stdin.destroy()
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${stderr.trim()}`)
  // A terminal may add a few bytes (a carriage return before a newline); zeros pass unchanged.
  if (count < bytes || count > bytes + 64) {
    throw new Error(`${command}: read ${count} stdout bytes instead of ${bytes}`)
  }
  return bytes / MIB / (elapsed / 1000)
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}
