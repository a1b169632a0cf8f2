import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

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

  it('drops events for a client that reads nothing instead of queueing them', async () => {
    const big = 'x'.repeat(200_000)
    // 200 execs with a 200 KB command in a container of its own, removed afterwards with the
    // records, so that only the events are left to hold memory.
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
    const stalled = connect(stack.socketPath)
    stalled.write('GET /v1.45/events HTTP/1.1\r\nHost: dexec\r\n\r\n')
    stalled.pause()
    await createMany()
    // Once the client reads again it gets what was queued before dexec began to drop events:
    // the 1 MiB bound plus the socket buffers, not the 40 MB of the 200 events.
    let received = 0
    stalled.on('data', (chunk: Buffer) => (received += chunk.length))
    stalled.resume()
    let last = -1
    while (received !== last) {
      last = received
      await sleep(500)
    }
    stalled.destroy()
    // Measured: 1.2 MB with the bound, 80 MB with it removed.
    expect(received).toBeLessThan(4 * 1024 * 1024)
    expect((await api(stack.socketPath, 'GET', '/_ping')).body).toBe('OK')
  })
})
