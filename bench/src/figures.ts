// The measurements made through the Engine API, the same code for both servers. Each returns
// the raw number of one run and throws when a result is wrong (a byte count or an exit code).

import { setTimeout as sleep } from 'node:timers/promises'

import { CONTAINER, type Server } from './stack.js'
import { countStream, feed } from './streams.js'

const MIB = 1024 * 1024

/** Returns the shell command that writes `bytes` zero bytes (a whole number of MiB) to stdout. */
export function zeroWriter(bytes: number): string[] {
  if (bytes % MIB !== 0) throw new Error(`invalid size ${bytes}: expected a whole number of MiB`)
  return ['sh', '-c', `dd if=/dev/zero bs=1048576 count=${bytes / MIB} 2>/dev/null`]
}

/** Runs `true` attached: create, start, read to EOF, inspect. Returns the time in ms. */
export async function roundtrip(server: Server): Promise<number> {
  const started = performance.now()
  const id = await server.client.createExec(CONTAINER, { cmd: ['true'] })
  const stream = await server.client.startAttached(id, false)
  const counts = await countStream(stream, true)
  const code = await server.client.exitCode(id)
  const elapsed = performance.now() - started
  if (code !== 0) throw new Error(`${server.name}: true exited with ${code}`)
  if (counts.stdout + counts.stderr !== 0) throw new Error(`${server.name}: true wrote output`)
  return elapsed
}

/**
 * Reads `bytes` of process stdout through an attached start, multiplexed or (with `tty`) raw.
 * `stall.ms` keeps the connection unread that long after the response head, and `stall.ended`
 * is called before reading starts. Returns MiB/s over the whole exchange.
 */
export async function outputThroughput(
  server: Server,
  bytes: number,
  tty: boolean,
  stall?: { ms: number; ended(): void },
): Promise<number> {
  const started = performance.now()
  const id = await server.client.createExec(CONTAINER, { cmd: zeroWriter(bytes), tty })
  const stream = await server.client.startAttached(id, tty)
  if (stall) {
    await sleep(stall.ms)
    stall.ended()
  }
  const counts = await countStream(stream, !tty)
  const elapsed = performance.now() - started
  if (counts.stdout !== bytes) {
    throw new Error(`${server.name}: read ${counts.stdout} stdout bytes instead of ${bytes}`)
  }
  await expectExitCode(server, id, 0)
  return bytes / MIB / (elapsed / 1000)
}

/** Writes `bytes` into `wc -c` through the attached stdin and checks its count. Returns MiB/s. */
export async function stdinThroughput(server: Server, bytes: number): Promise<number> {
  const started = performance.now()
  const id = await server.client.createExec(CONTAINER, { cmd: ['wc', '-c'], stdin: true })
  const stream = await server.client.startAttached(id, false)
  const [counts] = await Promise.all([countStream(stream, true), feed(stream.socket, bytes)])
  const elapsed = performance.now() - started
  if (counts.head.trim() !== String(bytes)) {
    throw new Error(`${server.name}: wc -c counted ${JSON.stringify(counts.head)} instead of ${bytes}`)
  }
  await expectExitCode(server, id, 0)
  return bytes / MIB / (elapsed / 1000)
}

/** Latencies and errors of one burst of concurrent roundtrips. */
export interface ConcurrentRun {
  latenciesMs: number[]
  errors: number
  /** The first error message, to show why a run failed. */
  firstError: string | null
  wallMs: number
}

/** Runs `concurrency` workers that each do `rounds` roundtrips one after another. */
export async function concurrentRoundtrips(
  server: Server,
  concurrency: number,
  rounds: number,
): Promise<ConcurrentRun> {
  const run: ConcurrentRun = { latenciesMs: [], errors: 0, firstError: null, wallMs: 0 }
  const started = performance.now()
  const worker = async () => {
    for (let round = 0; round < rounds; round++) {
      try {
        run.latenciesMs.push(await roundtrip(server))
      } catch (error) {
        run.errors++
        run.firstError ??= (error as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  run.wallMs = performance.now() - started
  return run
}

async function expectExitCode(server: Server, id: string, expected: number): Promise<void> {
  const code = await server.client.exitCode(id)
  if (code !== expected) throw new Error(`${server.name}: exec exited with ${code} instead of ${expected}`)
}
