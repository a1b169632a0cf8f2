import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createExec, inspectExec } from './exec-api.js'
import { api } from './http.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack({ serveArgs: ['--exec-timeout', '1', '--exec-timeout-grace', '1'] })
})

afterAll(async () => {
  await stack?.stop()
})

describe('e2e, dexec serve --exec-timeout', () => {
  it('kills an exec that ignores SIGTERM after the grace', async () => {
    const id = await createExec(stack.socketPath, 'demo', { Cmd: ['sh', '-c', 'trap "" TERM; sleep 300'] })
    const started = Date.now()
    const response = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/start`, '{"Detach":true}', {
      'Content-Type': 'application/json',
    })
    expect(response.status).toBe(200)
    let inspect = await inspectExec(stack.socketPath, id)
    while (inspect.Running && Date.now() - started < 10_000) {
      await sleep(50)
      inspect = await inspectExec(stack.socketPath, id)
    }
    const elapsedMs = Date.now() - started
    expect(inspect.ExitCode).toBe(137)
    expect((inspect as unknown as { TimedOut: boolean }).TimedOut).toBe(true)
    expect(elapsedMs).toBeGreaterThanOrEqual(2_000)
    expect(elapsedMs).toBeLessThan(4_000)
  })

  it('lets a request Timeout override the default', async () => {
    const id = await createExec(stack.socketPath, 'demo', { Cmd: ['sh', '-c', 'sleep 2; exit 5'], Timeout: 10 })
    await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/start`, '{"Detach":true}', {
      'Content-Type': 'application/json',
    })
    let inspect = await inspectExec(stack.socketPath, id)
    while (inspect.Running) {
      await sleep(50)
      inspect = await inspectExec(stack.socketPath, id)
    }
    expect(inspect.ExitCode).toBe(5)
  })
})
