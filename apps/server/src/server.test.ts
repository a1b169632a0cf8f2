import { describe, expect, it } from 'vitest'

import { parseTimestamp, serializeEvent } from './routes/events.js'
import { parseListenAddress } from './server.js'

describe('parseListenAddress', () => {
  it.each([
    ['unix:///run/dexec.sock', { kind: 'unix', path: '/run/dexec.sock' }],
    ['tcp://127.0.0.1:2375', { kind: 'tcp', host: '127.0.0.1', port: 2375 }],
    ['tcp://localhost:0', { kind: 'tcp', host: 'localhost', port: 0 }],
    ['tcp://[::1]:2375', { kind: 'tcp', host: '::1', port: 2375 }],
    ['fd://', { kind: 'fd', fd: 3 }],
    ['fd://4', { kind: 'fd', fd: 4 }],
  ])('accepts %s', (host, expected) => {
    expect(parseListenAddress(host)).toEqual(expected)
  })

  it.each([
    ['tcp://0.0.0.0:2375', 'refusing to listen on tcp://0.0.0.0:2375: TCP is only served on a loopback address'],
    ['tcp://10.0.0.1:2375', 'refusing to listen on tcp://10.0.0.1:2375: TCP is only served on a loopback address'],
    ['unix://relative.sock', 'invalid listen address unix://relative.sock: the socket path must be absolute'],
    ['http://127.0.0.1:80', 'invalid listen address http://127.0.0.1:80: expected unix:///PATH or tcp://HOST:PORT'],
    ['tcp://127.0.0.1:70000', 'invalid listen address tcp://127.0.0.1:70000: port 70000 is out of range'],
    ['fd://2', 'invalid listen address fd://2: expected fd:// or fd://N with N >= 3'],
    ['fd://x', 'invalid listen address fd://x: expected fd:// or fd://N with N >= 3'],
  ])('rejects %s', (host, message) => {
    expect(() => parseListenAddress(host)).toThrow(message)
  })
})

describe('parseTimestamp', () => {
  it.each([
    ['1700000000', 1_700_000_000_000_000_000n],
    ['1700000000.5', 1_700_000_000_500_000_000n],
    ['1700000000.000000001', 1_700_000_000_000_000_001n],
  ])('parses %s', (value, expected) => {
    expect(parseTimestamp('since', value)).toBe(expected)
  })

  it('returns undefined when absent', () => {
    expect(parseTimestamp('since', undefined)).toBe(undefined)
  })

  it.each(['abc', '-1', '1.2.3', '1.0000000001'])('rejects %s', (value) => {
    expect(() => parseTimestamp('until', value)).toThrow(`invalid value for until: ${value}`)
  })
})

describe('serializeEvent', () => {
  const event = {
    Type: 'container' as const,
    Action: 'exec_die',
    Actor: { ID: 'c1', Attributes: { execID: 'e1', exitCode: '0', image: 'busybox', name: 'demo' } },
    scope: 'local' as const,
    time: 1_796_404_375,
    timeNano: 1_796_404_375_086_123_456n,
  }

  it('writes the legacy fields and an exact timeNano before API 1.52', () => {
    expect(serializeEvent(event, true)).toBe(
      '{"status":"exec_die","id":"c1","from":"busybox","Type":"container","Action":"exec_die",' +
        '"Actor":{"ID":"c1","Attributes":{"execID":"e1","exitCode":"0","image":"busybox","name":"demo"}},' +
        '"scope":"local","time":1796404375,"timeNano":1796404375086123456}',
    )
  })

  it('leaves the legacy fields out from API 1.52', () => {
    const json = JSON.parse(serializeEvent(event, false)) as Record<string, unknown>
    expect(Object.keys(json)).toEqual(['Type', 'Action', 'Actor', 'scope', 'time', 'timeNano'])
  })
})
