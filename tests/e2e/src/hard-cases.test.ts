import { Writable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'

import { StdcopyDemuxer } from '@dexec/stream'
import { waitFor } from '@dexec/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createExec, inspectExec } from './exec-api.js'
import { hijackStart, readMultiplexed } from './hijack.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

const attachAll = { AttachStdin: false, AttachStdout: true, AttachStderr: true }

/** Runs an attached exec with no stdin and returns its output and inspect right after the stream ended. */
async function runAttached(cmd: string[]) {
  const id = await createExec(stack.socketPath, 'demo', { ...attachAll, Cmd: cmd })
  const hijacked = await hijackStart(stack.socketPath, id)
  const output = await readMultiplexed(hijacked)
  const inspect = await inspectExec(stack.socketPath, id)
  hijacked.socket.destroy()
  return { id, output, inspect }
}

describe('e2e, cases that break Docker-compatible servers', () => {
  it('ends the stream within 1 s of exit while stdin stays open', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...attachAll, AttachStdin: true, Cmd: ['true'] })
    const hijacked = await hijackStart(stack.socketPath, id)
    const started = Date.now()
    const output = await readMultiplexed(hijacked)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(output).toEqual({ stdout: '', stderr: '' })
    expect((await inspectExec(stack.socketPath, id)).ExitCode).toBe(0)
    hijacked.socket.destroy()
  })

  it.each([1_048_575, 1_048_576, 1_048_577])('moves %i bytes from dd exactly', async (size) => {
    const { output, inspect } = await runAttached(['sh', '-c', `dd if=/dev/zero bs=${size} count=1 2>/dev/null`])
    expect(output.stdout.length).toBe(size)
    expect(inspect.ExitCode).toBe(0)
  })

  it('moves 16,777,217 bytes from dd exactly, 20 times', async () => {
    const sizes: number[] = []
    for (let run = 0; run < 20; run++) {
      const { output } = await runAttached(['sh', '-c', 'dd if=/dev/zero bs=16777217 count=1 2>/dev/null'])
      sizes.push(output.stdout.length)
    }
    expect(sizes).toEqual(Array(20).fill(16_777_217))
  })

  it('regression: gives a slow reader every byte, 5 times', async () => {
    const counts: number[] = []
    for (let run = 0; run < 5; run++) {
      const id = await createExec(stack.socketPath, 'demo', {
        ...attachAll,
        Cmd: ['sh', '-c', 'dd if=/dev/zero bs=2097152 count=1 2>/dev/null'],
      })
      const hijacked = await hijackStart(stack.socketPath, id)
      let received = 0
      // Takes each chunk 10 ms late, with a small buffer, so the process output waits in dexec.
      const slow = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          received += chunk.length
          setTimeout(callback, 10)
        },
      })
      const demuxer = new StdcopyDemuxer({ stdout: slow, stderr: slow, end: true })
      demuxer.write(hijacked.initial)
      await pipeline(hijacked.socket, demuxer)
      await finished(slow)
      counts.push(received)
    }
    expect(counts).toEqual(Array(5).fill(2_097_152))
  })

  it('returns within 3 s when a background child holds the output open', async () => {
    const started = Date.now()
    const { output, inspect } = await runAttached(['sh', '-c', 'echo start; sleep 30 &'])
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(output.stdout).toBe('start\n')
    expect(inspect.ExitCode).toBe(0)
  })

  it('shows the exit code in the first inspect after the stream, 500 times', async () => {
    let misses = 0
    const worker = async (runs: number) => {
      for (let run = 0; run < runs; run++) {
        const { output, inspect } = await runAttached(['sh', '-c', 'echo x; exit 7'])
        if (output.stdout !== 'x\n' || inspect.Running !== false || inspect.ExitCode !== 7) misses++
      }
    }
    await Promise.all(Array.from({ length: 4 }, () => worker(125)))
    expect(misses).toBe(0)
  })

  // The docker CLI half-closes at once when stdin is empty, often before dexec has set up the
  // session. The process must still read EOF instead of waiting forever.
  it('gives the process EOF when the client half-closes with empty stdin at once', async () => {
    const config = { ...attachAll, AttachStdin: true, Cmd: ['wc', '-c'] }
    const id = await createExec(stack.socketPath, 'demo', config)
    const hijacked = await hijackStart(stack.socketPath, id)
    hijacked.socket.end()
    const output = await readMultiplexed(hijacked)
    expect(output.stdout.trim()).toBe('0')
    expect((await inspectExec(stack.socketPath, id)).ExitCode).toBe(0)
  }, 15_000)

  it('kills the process of a client that closed right after the upgrade', async () => {
    const id = await createExec(stack.socketPath, 'demo', { ...attachAll, Cmd: ['sleep', '30'] })
    const hijacked = await hijackStart(stack.socketPath, id)
    hijacked.socket.destroy()
    let exitCode: number | null = null
    await waitFor(
      async () => {
        exitCode = (await inspectExec(stack.socketPath, id)).ExitCode
        return exitCode !== null
      },
      { timeoutMs: 10_000, what: 'the exec to end' },
    )
    expect(exitCode).toBe(137)
  })

  it('kills the process of a TTY client that closed after a while', async () => {
    const config = { ...attachAll, AttachStdin: true, Tty: true, Cmd: ['sleep', '30'] }
    const id = await createExec(stack.socketPath, 'demo', config)
    const hijacked = await hijackStart(stack.socketPath, id, { Tty: true })
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    hijacked.socket.destroy()
    expect(await exitCodeOf(id)).toBe(137)
  })

  it('kills the process of a closed client with stdin full', async () => {
    const config = { ...attachAll, AttachStdin: true, Cmd: ['sleep', '30'] }
    const id = await createExec(stack.socketPath, 'demo', config)
    const hijacked = await hijackStart(stack.socketPath, id)
    // More than the FIFO and dexec's read buffers take, so dexec stops reading the socket.
    hijacked.socket.write(Buffer.alloc(2 * 1024 * 1024))
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    hijacked.socket.destroy()
    expect(await exitCodeOf(id)).toBe(137)
  })

  it('delivers all output to a client that half-closes right after the upgrade', async () => {
    const id = await createExec(stack.socketPath, 'demo', {
      ...attachAll,
      AttachStdin: true,
      Cmd: ['sh', '-c', 'cat; sleep 1; echo done'],
    })
    const hijacked = await hijackStart(stack.socketPath, id)
    hijacked.socket.end('test one\ntest two\n')
    const output = await readMultiplexed(hijacked)
    expect(output.stdout).toBe('test one\ntest two\ndone\n')
    expect((await inspectExec(stack.socketPath, id)).ExitCode).toBe(0)
  })
})

/** Waits up to 5 s for an exec to end and returns its exit code. */
async function exitCodeOf(id: string): Promise<number | null> {
  let exitCode: number | null = null
  const ended = async () => {
    exitCode = (await inspectExec(stack.socketPath, id)).ExitCode
    return exitCode !== null
  }
  await waitFor(ended, { timeoutMs: 5_000, what: `exec ${id} to end` })
  return exitCode
}
