import { PassThrough } from 'node:stream'

import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startStack, type Stack } from './stack.js'

let stack: Stack
let client: Docker

beforeAll(async () => {
  stack = await startStack()
  client = new Docker({ socketPath: stack.socketPath })
})

afterAll(async () => {
  await stack?.stop()
})

function collect(stream: PassThrough): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()))
  })
}

describe('e2e, dockerode exec', () => {
  it('runs an exec with stdin and demultiplexed output', async () => {
    const exec = await client.getContainer('demo').exec({
      Cmd: ['sh', '-c', 'cat; echo to-stderr >&2; exit 2'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    })
    const stream = await exec.start({ hijack: true, stdin: true })
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    client.modem.demuxStream(stream, stdout, stderr)
    const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()))
    stream.end('piped-in')
    await ended
    stdout.end()
    stderr.end()
    expect(await collect(stdout)).toBe('piped-in')
    expect(await collect(stderr)).toBe('to-stderr\n')
    const info = await exec.inspect()
    expect(info.ExitCode).toBe(2)
    expect(info.Running).toBe(false)
  })

  it('inspects the container with its running exec', async () => {
    const exec = await client.getContainer('demo').exec({ Cmd: ['sleep', '5'] })
    await exec.start({ Detach: true })
    const info = await client.getContainer('demo').inspect()
    expect(info.State.Running).toBe(true)
    expect(info.ExecIDs).toContain(exec.id)
  })
})
