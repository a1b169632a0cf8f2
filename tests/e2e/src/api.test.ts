import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { api } from './http.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

const json = { 'Content-Type': 'application/json' }

describe('e2e, bad input over the Engine API', () => {
  it('answers malformed JSON with 400', async () => {
    const response = await api(stack.socketPath, 'POST', '/v1.45/containers/demo/exec', '{"Cmd": [', json)
    expect(response.status).toBe(400)
    expect(response.headers['content-type']).toBe('application/json')
    expect(JSON.parse(response.body)).toEqual({ message: 'invalid JSON: unexpected EOF' })
  })

  it('answers a missing Cmd with 400', async () => {
    const response = await api(stack.socketPath, 'POST', '/v1.45/containers/demo/exec', '{"AttachStdout":true}', json)
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body)).toEqual({ message: 'No exec command specified' })
  })

  it('answers an empty Cmd with 400', async () => {
    const response = await api(stack.socketPath, 'POST', '/v1.45/containers/demo/exec', '{"Cmd":[]}', json)
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body)).toEqual({ message: 'No exec command specified' })
  })

  it('answers an unknown exec id with 404', async () => {
    const id = 'f'.repeat(64)
    const response = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/start`, '{"Detach":true}', json)
    expect(response.status).toBe(404)
    expect(JSON.parse(response.body)).toEqual({ message: `No such exec instance: ${id}` })
  })

  it('answers an unknown exec id with 404 on an upgrade request', async () => {
    const id = 'e'.repeat(64)
    const response = await api(stack.socketPath, 'POST', `/v1.45/exec/${id}/start`, '{}', {
      ...json,
      Connection: 'Upgrade',
      Upgrade: 'tcp',
    }).catch((err: Error) => err)
    expect(response).not.toBeInstanceOf(Error)
    const { status, body } = response as Awaited<ReturnType<typeof api>>
    expect(status).toBe(404)
    expect(JSON.parse(body)).toEqual({ message: `No such exec instance: ${id}` })
  })

  it('answers an unknown path with 404', async () => {
    const response = await api(stack.socketPath, 'GET', '/v1.45/nosuch')
    expect(response.status).toBe(404)
    expect(JSON.parse(response.body)).toEqual({ message: 'page not found' })
  })

  it('keeps serving after bad requests', async () => {
    const response = await api(stack.socketPath, 'GET', '/_ping')
    expect(response.status).toBe(200)
    expect(response.body).toBe('OK')
    expect(stack.dexec.exitCode).toBe(null)
  })
})
