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

describe('e2e, containerd restart', () => {
  it('answers 503 while containerd is down and serves again after', async () => {
    const id = await createExec(stack.socketPath, 'demo', {
      AttachStdout: true,
      AttachStderr: true,
      Cmd: ['sh', '-c', 'sleep 3; echo survived; exit 6'],
    })
    const hijacked = await hijackStart(stack.socketPath, id)
    while ((await inspectExec(stack.socketPath, id)).Pid === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    await stack.containerd.restart(async () => {
      const response = await api(stack.socketPath, 'GET', '/v1.45/containers/demo/json')
      expect(response.status).toBe(503)
      expect(JSON.parse(response.body).message).toMatch(/^containerd is not available: /)
      expect((await api(stack.socketPath, 'GET', '/_ping')).body).toBe('OK')
    })
    expect(await readMultiplexed(hijacked)).toEqual({ stdout: 'survived\n', stderr: '' })
    expect((await inspectExec(stack.socketPath, id)).ExitCode).toBe(6)
    const after = await api(stack.socketPath, 'GET', '/v1.45/containers/demo/json')
    expect(after.status).toBe(200)
  })
})
