import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { readIntoPool } from './pooled-reads.js'

let directory: string

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexec-pooled-'))
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

/** Connects a pair of unix sockets: `accepted` as a server gets it, `client` to write from. */
async function socketPair(name: string): Promise<{ accepted: Socket; client: Socket }> {
  const server = createServer()
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  await new Promise<void>((resolve) => server.listen(join(directory, name), resolve))
  const client = connect(join(directory, name))
  const socket = await accepted
  server.close()
  return { accepted: socket, client }
}

/** 64 KiB blocks, block n filled with byte n % 241. */
function block(index: number): Buffer {
  return Buffer.alloc(64 * 1024, index % 241)
}

function digestOf(blocks: number): string {
  const hash = createHash('sha256')
  for (let index = 0; index < blocks; index++) hash.update(block(index))
  return hash.digest('hex')
}

async function writeBlocks(client: Socket, blocks: number): Promise<void> {
  for (let index = 0; index < blocks; index++) {
    if (!client.write(block(index))) await new Promise((resolve) => client.once('drain', resolve))
  }
  client.end()
}

describe('readIntoPool', () => {
  it('delivers every byte in order while the handler gives memory back late', async () => {
    const { accepted, client } = await socketPair('late.sock')
    const hash = createHash('sha256')
    const memory = new Set<ArrayBufferLike>()
    let unreleased = 0
    let peakUnreleased = 0
    const switched = readIntoPool(accepted, (chunk, release) => {
      memory.add(chunk.buffer)
      unreleased++
      peakUnreleased = Math.max(peakUnreleased, unreleased)
      // The copy is taken later, as a write that completes later would read it.
      setTimeout(() => {
        hash.update(chunk)
        unreleased--
        release()
      }, 1)
    })
    expect(switched).toBe(true)
    const ended = new Promise((resolve) => accepted.once('end', resolve))
    accepted.resume()
    await writeBlocks(client, 256)
    await ended
    await sleep(20)
    accepted.destroy()
    expect(hash.digest('hex')).toBe(digestOf(256))
    expect(peakUnreleased).toBeLessThanOrEqual(4)
    // 16 MiB went through a handful of buffers instead of one per read.
    expect(memory.size).toBeLessThan(16)
  })

  it('hands over the bytes read before the switch first', async () => {
    const { accepted, client } = await socketPair('early.sock')
    accepted.pause()
    client.write(block(0))
    await new Promise((resolve) => accepted.once('readable', resolve))
    const hash = createHash('sha256')
    readIntoPool(accepted, (chunk, release) => {
      hash.update(chunk)
      release()
    })
    const ended = new Promise((resolve) => accepted.once('end', resolve))
    accepted.resume()
    for (let index = 1; index < 8; index++) client.write(block(index))
    client.end()
    await ended
    accepted.destroy()
    expect(hash.digest('hex')).toBe(digestOf(8))
  })

  it('leaves a stream that is not a socket alone', () => {
    expect(readIntoPool(new PassThrough() as unknown as Socket, () => {})).toBe(false)
  })

  it('switches a socket only once', async () => {
    const { accepted, client } = await socketPair('twice.sock')
    expect(readIntoPool(accepted, (_chunk, release) => release())).toBe(true)
    expect(readIntoPool(accepted, (_chunk, release) => release())).toBe(false)
    accepted.destroy()
    client.destroy()
  })
})
