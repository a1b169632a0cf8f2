import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { waitFor } from '@dexec/testkit'
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

describe('e2e, dexec shutdown after the grace period', () => {
  let short: Stack

  beforeAll(async () => {
    // Without the audit log, whose flush at shutdown gave the kills time to go out anyway.
    short = await startStack({ plain: true, serveArgs: ['--shutdown-timeout', '1'] })
  })

  afterAll(async () => {
    await short?.stop()
  })

  it('kills the process of a stream that it cut before it exits', async () => {
    const id = await createExec(short.socketPath, 'demo', {
      AttachStdout: true,
      AttachStderr: true,
      Cmd: ['sleep', '1000'],
    })
    const hijacked = await hijackStart(short.socketPath, id)
    let pid = 0
    await waitFor(
      async () => {
        pid = (await inspectExec(short.socketPath, id)).Pid
        return pid > 0
      },
      { what: 'the exec to run' },
    )
    // The shim keeps this file until the process is deleted from containerd.
    const taskState = join(short.containerd.directory, 'state/io.containerd.runtime.v2.task')
    const pidFile = join(taskState, 'default/demo', `${id}.pid`)
    expect(existsSync(pidFile)).toBe(true)
    const exited = new Promise<number | null>((resolve) => {
      short.dexec.once('exit', (code) => resolve(code))
    })
    short.dexec.kill('SIGTERM')
    expect(await exited).toBe(0)
    hijacked.socket.destroy()
    // The kill went out before dexec closed its containerd client; the shim reaps the process.
    const ended = () => !existsSync(`/proc/${pid}`)
    await waitFor(ended, { timeoutMs: 5_000, what: `process ${pid} to end` })
    expect(existsSync(`/proc/${pid}`)).toBe(false)
    // dexec deleted the exited process before it closed its containerd client.
    expect(existsSync(pidFile)).toBe(false)
  })
})
