import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createExec, inspectExec } from './exec-api.js'
import { hijackStart, readMultiplexed } from './hijack.js'
import { api } from './http.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

describe('e2e, dexec shutdown', () => {
  it('lets an attached stream finish on SIGTERM, then exits 0', async () => {
    const id = await createExec(stack.socketPath, 'demo', {
      AttachStdout: true,
      AttachStderr: true,
      Cmd: ['sh', '-c', 'sleep 1; echo done'],
    })
    const hijacked = await hijackStart(stack.socketPath, id)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await inspectExec(stack.socketPath, id)).Running).toBe(true)
    const exited = new Promise<number | null>((resolve) => stack.dexec.once('exit', (code) => resolve(code)))
    stack.dexec.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const refused = await api(stack.socketPath, 'GET', '/_ping').catch((err: NodeJS.ErrnoException) => err.code)
    expect(refused).toMatch(/^(ECONNREFUSED|ENOENT)$/)
    expect(await readMultiplexed(hijacked)).toEqual({ stdout: 'done\n', stderr: '' })
    expect(await exited).toBe(0)
  })
})
