import { createHash } from 'node:crypto'
import { constants as fsConstants, openSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createFifoSet, type FifoSet } from './fifo.js'

let directory: string

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexec-fifo-'))
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

const BLOCK = 64 * 1024

/** Block n of the test data: 64 KiB of byte n % 253. */
function block(index: number): Buffer {
  return Buffer.alloc(BLOCK, index % 253)
}

/** Opens the shim's side of the stdout FIFO and writes `blocks` blocks into it, then closes it. */
function writeBlocks(fifos: FifoSet, blocks: number): void {
  const fd = openSync(fifos.paths.stdout, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK)
  const writer = new Socket({ fd, readable: false, writable: true })
  let index = 0
  const next = () => {
    while (index < blocks) {
      if (!writer.write(block(index++))) return void writer.once('drain', next)
    }
    writer.end()
  }
  next()
}

function digestOf(blocks: number): string {
  return sha256(Array.from({ length: blocks }, (_, index) => block(index)))
}

function sha256(chunks: Buffer[]): string {
  const hash = createHash('sha256')
  for (const chunk of chunks) hash.update(chunk)
  return hash.digest('hex')
}

/** Writes `blocks` blocks through the stdout FIFO, waits for the read end's EOF, closes the set. */
async function feed(fifos: FifoSet, blocks: number): Promise<void> {
  const ended = new Promise((resolve) => fifos.stdout!.once('end', resolve))
  writeBlocks(fifos, blocks)
  await ended
  await fifos.close()
}

async function stdoutOnly(id: string): Promise<FifoSet> {
  return createFifoSet({ directory, id, stdin: false, stdout: true, stderr: false })
}

describe('FifoReadEnd', () => {
  it('reads into the same memory while the handler gives it back', async () => {
    const fifos = await stdoutOnly('reuse')
    const memory = new Set<ArrayBufferLike>()
    const hash = createHash('sha256')
    let bytes = 0
    fifos.stdout!.setChunkHandler((chunk) => {
      memory.add(chunk.buffer)
      hash.update(chunk)
      bytes += chunk.length
      return true
    })
    await feed(fifos, 64)
    expect(bytes).toBe(64 * BLOCK)
    expect(hash.digest('hex')).toBe(digestOf(64))
    // The first 8 KiB buffer, then one 64 KiB buffer once a read filled it.
    expect(memory.size).toBe(2)
  })

  it('reads into new memory after a kept chunk', async () => {
    const fifos = await stdoutOnly('keep')
    const kept: Buffer[] = []
    fifos.stdout!.setChunkHandler((chunk) => {
      kept.push(chunk)
      return false
    })
    await feed(fifos, 16)
    expect(sha256(kept)).toBe(digestOf(16))
    expect(new Set(kept.map((chunk) => chunk.buffer)).size).toBe(kept.length)
  })

  it('pushes copies as a plain Readable without a handler', async () => {
    const fifos = await stdoutOnly('plain')
    const chunks: Buffer[] = []
    fifos.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk))
    await feed(fifos, 16)
    expect(sha256(chunks)).toBe(digestOf(16))
  })

  it('hands earlier buffered chunks first', async () => {
    const fifos = await stdoutOnly('switch')
    const stdout = fifos.stdout!
    writeBlocks(fifos, 8)
    // Nothing reads the Readable yet, so the first reads wait in its buffer.
    await new Promise((resolve) => stdout.once('readable', resolve))
    const hash = createHash('sha256')
    const ended = new Promise((resolve) => stdout.once('end', resolve))
    stdout.setChunkHandler((chunk) => {
      hash.update(chunk)
      return true
    })
    stdout.resume()
    await ended
    await fifos.close()
    expect(hash.digest('hex')).toBe(digestOf(8))
  })
})
