import { afterAll, beforeAll, describe, it } from 'vitest'

import { compareSides } from './compare.js'
import { tooOld } from './expected.js'
import { startConformanceStack, type ConformanceStack } from './stack.js'

let stack: ConformanceStack

beforeAll(async () => {
  stack = await startConformanceStack()
})

afterAll(async () => {
  await stack?.stop()
})

describe('conformance, ping and API versions', () => {
  it('reports each server its own maximum API version', async () => {
    await compareSides(
      stack,
      async (probe) => {
        const ping = await probe.side.client.request('GET', '/_ping', { unversioned: true })
        const apiVersion = ping.headers.find(([name]) => name.toLowerCase() === 'api-version')?.[1]
        probe.record('ping.Api-Version', apiVersion)
      },
      [
        {
          key: 'ping.Api-Version',
          spec: 'spec 13, API versions served',
          dockerd: '1.41',
          dexec: '1.56',
        },
      ],
    )
  })

  it.each([
    ['GET', '/_ping'],
    ['HEAD', '/_ping'],
    ['GET', '/v1.41/_ping'],
    ['HEAD', '/v1.41/_ping'],
  ])('answers %s %s with the ping headers', async (method, path) => {
    await compareSides(stack, async (probe) => {
      await probe.request('ping', method, path, { unversioned: true })
    })
  })
})

describe('conformance, version', () => {
  it('reports the version fields clients read', async () => {
    const spec = 'spec 13, API versions served'
    await compareSides(
      stack,
      async (probe) => {
        const response = await probe.side.client.request('GET', '/version')
        const body = JSON.parse(response.body.toString()) as Record<string, unknown>
        probe.record('version.status', response.status)
        probe.record('version.headers', probe.normalizer.headers(response.headers, response.body))
        probe.record('version.keys', Object.keys(body))
        for (const field of ['ApiVersion', 'MinAPIVersion', 'Os', 'Arch', 'KernelVersion']) {
          probe.record(`version.${field}`, body[field])
        }
      },
      [
        { key: 'version.ApiVersion', spec, dockerd: '1.41', dexec: '1.56' },
        { key: 'version.MinAPIVersion', spec, dockerd: '1.12', dexec: '1.24' },
      ],
    )
  })
})

describe('conformance, API version prefix', () => {
  const tooNew = (path: string) => async () => {
    await compareSides(
      stack,
      async (probe) => {
        await probe.request('response', 'POST', path, {
          body: '{"Cmd":',
          headers: { 'Content-Type': 'application/json' },
          unversioned: true,
        })
      },
      [
        {
          key: 'response.body',
          spec: 'spec 13, API versions served',
          part: { dockerd: 'version is 1.41', dexec: 'version is 1.56' },
        },
      ],
    )
  }

  it('rejects a too new version before the body', tooNew('/v1.99/containers/demo/exec'))
  it('rejects a too new version before the container', tooNew('/v1.99/containers/nosuch/exec'))
  it('rejects a too new version on exec start', tooNew(`/v1.99/exec/${'a'.repeat(64)}/start`))

  it('rejects a too new version on ping', async () => {
    await compareSides(
      stack,
      async (probe) => {
        await probe.request('ping', 'GET', '/v1.99/_ping', { unversioned: true })
      },
      [
        {
          key: 'ping.body',
          spec: 'spec 13, API versions served',
          part: { dockerd: 'version is 1.41', dexec: 'version is 1.56' },
        },
      ],
    )
  })

  it('rejects a too old version with plain text', async () => {
    await compareSides(
      stack,
      async (probe) => {
        await probe.request('response', 'POST', '/v1.11/containers/demo/exec', {
          body: '{"Cmd":["ls"]}',
          headers: { 'Content-Type': 'application/json' },
          unversioned: true,
        })
      },
      [
        {
          key: 'response.body',
          spec: 'spec 13, API versions served',
          part: { dockerd: 'version is 1.12,', dexec: 'version is 1.24,' },
        },
      ],
    )
  })

  it('serves version 1.20 only on dockerd', async () => {
    const id = 'b'.repeat(64)
    const spec = 'spec 13, API versions served (dexec: 1.24 and newer)'
    // Below 1.24 both servers write errors as plain text.
    const plainText = [
      'Api-Version: <max api version>',
      'Content-Length: <body length>',
      'Content-Type: text/plain; charset=utf-8',
      'Docker-Experimental: false',
      'Ostype: linux',
      'Server: <server> (linux)',
      'X-Content-Type-Options: nosniff',
    ]
    await compareSides(
      stack,
      async (probe) => {
        await probe.request('inspect', 'GET', `/v1.20/exec/${id}/json`, { unversioned: true })
      },
      [
        { key: 'inspect.status', spec, dockerd: '404 Not Found', dexec: '400 Bad Request' },
        // A version rejection carries no Docker-Experimental header.
        {
          key: 'inspect.headers',
          spec,
          dockerd: plainText,
          dexec: plainText.filter((line) => !line.startsWith('Docker-Experimental')),
        },
        {
          key: 'inspect.body',
          spec,
          dockerd: `No such exec instance: ${id}\n`,
          dexec: `${tooOld('1.20', '1.24')}\n`,
        },
      ],
    )
  })

  it('serves requests without a prefix', async () => {
    await compareSides(stack, async (probe) => {
      await probe.request('inspect', 'GET', `/exec/${'c'.repeat(64)}/json`, { unversioned: true })
    })
  })
})

describe('conformance, unknown routes', () => {
  it.each([
    ['GET', '/v1.41/nosuch'],
    ['GET', '/nosuch'],
    ['GET', '/v1.41/containers/demo/exec'],
    ['POST', `/v1.41/exec/${'d'.repeat(64)}/json`],
    ['DELETE', `/v1.41/exec/${'d'.repeat(64)}`],
  ])('answers %s %s with 404', async (method, path) => {
    await compareSides(stack, async (probe) => {
      await probe.request('response', method, path, { unversioned: true })
    })
  })
})

describe('conformance, event stream', () => {
  it('streams JSON objects filtered to the container', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { Cmd: ['true'] })
      await probe.request('start', 'POST', `/exec/${id}/start`, { body: { Detach: true } })
      await probe.waitForExec(id!, (inspect) => inspect.Running === false, 'to finish')
      const until = (Date.now() / 1000 + 0.3).toFixed(3)
      const filters = encodeURIComponent(
        JSON.stringify({ container: ['demo'], event: ['exec_die'] }),
      )
      const response = await probe.side.client.request(
        'GET',
        `/events?since=${probe.since.toFixed(3)}&until=${until}&filters=${filters}`,
      )
      probe.record('events.status', `${response.status} ${response.statusText}`)
      probe.record('events.headers', probe.normalizer.headers(response.headers))
      const lines = response.body.toString().split('\n')
      probe.record(
        'events.lines',
        lines.map((line) => (line === '' ? line : probe.normalizer.event(line))),
      )
    })
  })
})
