import { createContainer, ctr } from '@dexec/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { docker, hasDockerCli } from './docker.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

const run = (args: string[], options?: Parameters<typeof docker>[2]) => docker(stack.dockerHost, args, options)

describe.skipIf(!hasDockerCli)('e2e, docker CLI exec', () => {
  it('prints the output of echo', async () => {
    const result = await run(['exec', 'demo', 'echo', 'hello'])
    expect(result.stdout.toString()).toBe('hello\n')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('keeps stdout and stderr apart and returns the exit code', async () => {
    const result = await run(['exec', 'demo', 'sh', '-c', 'echo out; echo err >&2; exit 3'])
    expect(result.stdout.toString()).toBe('out\n')
    expect(result.stderr).toBe('err\n')
    expect(result.code).toBe(3)
  })

  it('passes stdin through and delivers its EOF', async () => {
    const result = await run(['exec', '-i', 'demo', 'cat'], { input: 'abc' })
    expect(result.stdout.toString()).toBe('abc')
    expect(result.code).toBe(0)
  })

  it('delivers the EOF of an empty stdin', async () => {
    const result = await run(['exec', '-i', 'demo', 'wc', '-c'], { input: '' })
    expect(result.stdout.toString().trim()).toBe('0')
    expect(result.code).toBe(0)
  }, 15_000)

  it('keeps the output that follows a stdin EOF', async () => {
    const script = 'cat; sleep 0.3; echo after-eof'
    const result = await run(['exec', '-i', 'demo', 'sh', '-c', script], { input: 'in\n' })
    expect(result.stdout.toString()).toBe('in\nafter-eof\n')
    expect(result.code).toBe(0)
  })

  it('moves 100,000,000 bytes exactly', async () => {
    const result = await run(['exec', 'demo', 'head', '-c', '100000000', '/dev/zero'], { timeoutMs: 60_000 })
    expect(result.stdout.length).toBe(100_000_000)
    expect(result.stdout.every((byte) => byte === 0)).toBe(true)
    expect(result.code).toBe(0)
  })

  it('returns at once with -d and leaves the process running', async () => {
    const started = Date.now()
    const result = await run(['exec', '-d', 'demo', 'sleep', '30'])
    expect(result.code).toBe(0)
    expect(Date.now() - started).toBeLessThan(5_000)
    const ps = await run(['exec', 'demo', 'ps', '-o', 'args'])
    expect(ps.stdout.toString()).toContain('sleep 30')
  })

  it('reports an unknown container', async () => {
    const result = await run(['exec', 'nosuch', 'true'])
    expect(result.stderr).toContain('No such container: nosuch')
    expect(result.code).toBe(1)
  })

  it('rejects an exec into a stopped container', async () => {
    const stopped = await createContainer(stack.containerd, { id: 'stopped' })
    await stopped.kill()
    const result = await run(['exec', 'stopped', 'true'])
    expect(result.stderr).toBe('Error response from daemon: container stopped is not running\n')
    expect(result.code).toBe(1)
  })

  it('execs into a container that ctr created', async () => {
    const address = stack.containerd.address
    await ctr(address, 'default', [
      'run', '--rootfs', '-d', '--runc-root', stack.containerd.runcRoot,
      '--fifo-dir', stack.containerd.fifoDir,
      '--cgroup', `/${stack.containerd.tag}-by-ctr`, '--env', 'PATH=/bin',
      stack.demo.rootfs, 'by-ctr', 'tail', '-f', '/dev/null',
    ])
    const result = await run(['exec', 'by-ctr', 'sh', '-c', 'echo from-ctr-container'])
    expect(result.stdout.toString()).toBe('from-ctr-container\n')
    expect(result.code).toBe(0)
  })
})
