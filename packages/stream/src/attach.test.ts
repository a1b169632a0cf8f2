import { PassThrough, Readable, Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import { describe, expect, it } from 'vitest'

import { AttachSession, type AttachOptions } from './attach.js'
import { DEFAULT_DETACH_KEYS } from './detach-keys.js'
import { StdcopyDemuxer } from './stdcopy.js'

function sink(): Writable & { data: () => Buffer } {
  const chunks: Buffer[] = []
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      callback()
    },
  })
  return Object.assign(writable, { data: () => Buffer.concat(chunks) })
}

function session(overrides: Partial<AttachOptions>) {
  const options: AttachOptions = {
    input: null,
    output: sink(),
    stdin: null,
    stdout: null,
    stderr: null,
    framing: 'raw',
    tty: false,
    detachKeys: null,
    ...overrides,
  }
  return { session: new AttachSession(options), options }
}

describe('AttachSession', () => {
  it('ends stdin at once when the client input ended before the session started', async () => {
    const input = new PassThrough()
    input.end()
    input.resume()
    await new Promise((resolve) => input.once('end', resolve))
    const stdin = new PassThrough()
    let stdinEnded = false
    session({ input, stdin, onStdinEnd: () => void (stdinEnded = true) })
    await new Promise((resolve) => stdin.once('finish', resolve))
    await sleep(0)
    expect(stdinEnded).toBe(true)
  })

  it('copies stdout raw and drops stderr with raw framing', async () => {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const output = sink()
    const { session: s } = session({ output, stdout, stderr })
    stdout.end('out')
    stderr.end('err')
    await s.drain(100)
    expect(output.data().toString()).toBe('out')
  })

  it('frames stdout and stderr with multiplexed framing', async () => {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const output = sink()
    const { session: s } = session({ output, stdout, stderr, framing: 'multiplexed' })
    stdout.end('out')
    stderr.end('err')
    await s.drain(100)
    const out = sink()
    const err = sink()
    const demuxer = new StdcopyDemuxer({ stdout: out, stderr: err })
    await new Promise<void>((resolve) => demuxer.end(output.data(), resolve))
    expect(out.data().toString()).toBe('out')
    expect(err.data().toString()).toBe('err')
  })

  it('regression: drains at once when a stream ended before the session', async () => {
    const stderr = Readable.from([])
    stderr.resume()
    await new Promise((resolve) => stderr.once('close', resolve))
    const stdout = new PassThrough()
    const { session: s } = session({ stdout, stderr, framing: 'multiplexed' })
    stdout.end('x')
    const started = Date.now()
    await s.drain(5_000)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(s.outputEnded).toBe(true)
  })

  it('ends stdin and calls onStdinEnd after client EOF without a terminal', async () => {
    const input = new PassThrough()
    const stdin = sink()
    let calledAfterFinish: boolean | undefined
    session({ input, stdin, onStdinEnd: () => void (calledAfterFinish = stdin.writableFinished) })
    input.end('typed')
    await sleep(20)
    expect(stdin.data().toString()).toBe('typed')
    expect(calledAfterFinish).toBe(true)
  })

  it('reports stdin-closed on client EOF with a terminal and keeps stdin open', async () => {
    const input = new PassThrough()
    const stdin = sink()
    const { session: s } = session({ input, stdin, tty: true })
    input.end('typed')
    expect(await s.interrupted).toBe('stdin-closed')
    expect(stdin.writableEnded).toBe(false)
  })

  it('reports detached when the detach keys are typed', async () => {
    const input = new PassThrough()
    const stdin = sink()
    const { session: s } = session({ input, stdin, tty: true, detachKeys: DEFAULT_DETACH_KEYS })
    input.write(Buffer.from('ls\x10\x11'))
    expect(await s.interrupted).toBe('detached')
    expect(stdin.data().toString()).toBe('ls')
    expect(stdin.writableEnded).toBe(false)
  })

  it('reports client-gone when the connection closes', async () => {
    const output = sink()
    const { session: s } = session({ output, stdout: new PassThrough() })
    output.destroy()
    expect(await s.interrupted).toBe('client-gone')
  })

  it('regression: reports client-gone when the client left before the session', async () => {
    const output = sink()
    output.destroy()
    const { session: s } = session({ output, stdout: new PassThrough() })
    expect(await s.interrupted).toBe('client-gone')
  })

  it('regression: reports client-gone when a framed write hits a closed client', async () => {
    const stdout = new PassThrough()
    const output = sink()
    const { session: s } = session({ output, stdout, framing: 'multiplexed' })
    output.destroy()
    stdout.write('after the client closed')
    expect(await s.interrupted).toBe('client-gone')
    await sleep(20)
  })

  it('keeps draining while a slow client still reads', async () => {
    const stdout = new PassThrough()
    let release: () => void = () => {}
    const chunks: Buffer[] = []
    const output = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk)
        release = callback
      },
    })
    const { session: s } = session({ output, stdout })
    stdout.write('a'.repeat(16))
    stdout.end('b'.repeat(16))
    const drained = s.drain(50)
    await sleep(200)
    expect(s.outputEnded).toBe(false)
    for (let i = 0; i < 10; i++) {
      const next = release
      release = () => {}
      next()
      await sleep(5)
    }
    await drained
    expect(Buffer.concat(chunks).toString()).toBe('a'.repeat(16) + 'b'.repeat(16))
  })

  it('regression: waits for queued frames', async () => {
    const stdout = new PassThrough()
    const written: Buffer[] = []
    // A client that takes one write every 2 ms, with a tiny buffer: the frame writer queues.
    const output = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk)
        setTimeout(callback, 2)
      },
    })
    const { session: s } = session({ output, stdout, framing: 'multiplexed' })
    const payload = Buffer.alloc(1024 * 1024, 7)
    for (let offset = 0; offset < payload.length; offset += 64 * 1024) {
      stdout.write(payload.subarray(offset, offset + 64 * 1024))
    }
    stdout.end()
    await s.drain(5_000)
    expect(s.outputEnded).toBe(true)
    const out = sink()
    const demuxer = new StdcopyDemuxer({ stdout: out, stderr: sink() })
    await new Promise<void>((resolve) => demuxer.end(Buffer.concat(written), resolve))
    expect(out.data().length).toBe(payload.length)
  })

  it('reads and discards output after stop', async () => {
    const stdout = new PassThrough()
    const output = sink()
    const { session: s } = session({ output, stdout })
    s.stop()
    stdout.write('late')
    await sleep(10)
    expect(output.data().length).toBe(0)
    expect(stdout.readableLength).toBe(0)
  })

  it('counts payload bytes in each direction', async () => {
    const counted = { in: 0, out: 0 }
    const input = new PassThrough()
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const { session: s } = session({
      input,
      stdin: sink(),
      stdout,
      stderr,
      framing: 'multiplexed',
      onBytes: (direction, bytes) => (counted[direction] += bytes),
    })
    input.end('12345')
    stdout.end('abc')
    stderr.end('de')
    await s.drain(100)
    await sleep(10)
    expect(counted.out).toBe(5)
    expect(counted.in).toBe(5)
  })

  it('counts no bytes after stop', async () => {
    const counted = { in: 0, out: 0 }
    const stdout = new PassThrough()
    const { session: s } = session({ stdout, onBytes: (direction, bytes) => (counted[direction] += bytes) })
    s.stop()
    stdout.end('late')
    await sleep(10)
    expect(counted.out).toBe(0)
  })

  it('leaves the detach keys out of the counted input', async () => {
    const counted = { in: 0, out: 0 }
    const input = new PassThrough()
    const { session: s } = session({
      input,
      stdin: sink(),
      tty: true,
      detachKeys: DEFAULT_DETACH_KEYS,
      onBytes: (direction, bytes) => (counted[direction] += bytes),
    })
    input.write(Buffer.from('ls\x10\x11'))
    await s.interrupted
    expect(counted.in).toBe(2)
  })
})
