import { readFileSync } from 'node:fs'
import { connect } from 'node:net'

import { createContainer, waitFor } from '@dexec/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { followEvents } from './events.js'
import { createExec } from './exec-api.js'
import { api } from './http.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
}

const now = () => Math.floor(Date.now() / 1000)

describe('e2e, GET /events', () => {
  it('rejects since after until', async () => {
    const response = await api(stack.socketPath, 'GET', '/v1.45/events?since=200&until=100')
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body)).toEqual({ message: '`since` time (200) cannot be after `until` time (100)' })
  })

  it('matches the container filter by name prefix', async () => {
    const since = now() - 1
    const id = await createExec(stack.socketPath, 'demo', { Cmd: ['true'] })
    const filters = encodeURIComponent('{"container":["de"]}')
    const response = await api(stack.socketPath, 'GET', `/v1.45/events?since=${since}&until=${now() + 1}&filters=${filters}`)
    const lines = response.body.trim().split('\n').map((line) => JSON.parse(line) as { Actor: { Attributes: Record<string, string> } })
    expect(lines.map((line) => line.Actor.Attributes.execID)).toContain(id)
  })

  it('matches nothing with an unknown filter name', async () => {
    const since = now() - 1
    await createExec(stack.socketPath, 'demo', { Cmd: ['true'] })
    const filters = encodeURIComponent('{"network":["x"]}')
    const response = await api(stack.socketPath, 'GET', `/v1.45/events?since=${since}&until=${now() + 1}&filters=${filters}`)
    expect(response.status).toBe(200)
    expect(response.body).toBe('')
  })

  it('keeps memory bounded while a client reads no events', async () => {
    const big = 'x'.repeat(200_000)
    // Each round creates 200 execs with a 200 KB command in a container of its own and then
    // removes it, which drops the records: only what the events leave behind can stay.
    let rounds = 0
    const createMany = async () => {
      const box = await createContainer(stack.containerd, { id: `events-mem-${rounds++}` })
      let last = ''
      for (let i = 0; i < 200; i++) last = await createExec(stack.socketPath, box.id, { Cmd: ['true', big] })
      await box.remove()
      await waitFor(async () => (await api(stack.socketPath, 'GET', `/v1.45/exec/${last}/json`)).status === 404, {
        what: `the records of ${box.id} to go`,
      })
    }
    const growthOver = async (rounds: number) => {
      const before = rssMegabytes(stack.dexec.pid!)
      for (let i = 0; i < rounds; i++) await createMany()
      return rssMegabytes(stack.dexec.pid!) - before
    }
    // Warm-up rounds first, so that the heap has grown to its working size; then the same load
    // without a client and with a stalled one: the difference is what the stalled client costs.
    await growthOver(2)
    const withoutClient = await growthOver(2)
    const stalled = connect(stack.socketPath)
    stalled.write('GET /v1.45/events HTTP/1.1\r\nHost: dexec\r\n\r\n')
    stalled.pause()
    const withStalledClient = await growthOver(2)
    stalled.destroy()
    // 400 events of 200 KB are 80 MB that a stalled client would hold if nothing bounded it.
    expect(withStalledClient - withoutClient).toBeLessThan(24)
    expect((await api(stack.socketPath, 'GET', '/_ping')).body).toBe('OK')
  })
})
