import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

import { parseTimestamp, serializeEvent } from './routes/events.js'
import { checkListenSecurity, parseListenAddress, readTlsCredentials, resolveGroup, tlsFromFlags } from './listen.js'

describe('parseListenAddress', () => {
  it.each([
    ['unix:///run/dexec.sock', { kind: 'unix', path: '/run/dexec.sock' }],
    ['tcp://127.0.0.1:2375', { kind: 'tcp', host: '127.0.0.1', port: 2375 }],
    ['tcp://localhost:0', { kind: 'tcp', host: 'localhost', port: 0 }],
    ['tcp://[::1]:2375', { kind: 'tcp', host: '::1', port: 2375 }],
    ['fd://', { kind: 'fd', fd: 3 }],
    ['fd://4', { kind: 'fd', fd: 4 }],
    ['tcp://0.0.0.0:2376', { kind: 'tcp', host: '0.0.0.0', port: 2376 }],
  ])('accepts %s', (host, expected) => {
    expect(parseListenAddress(host)).toEqual(expected)
  })

  it.each([
    ['unix://relative.sock', 'invalid listen address unix://relative.sock: the socket path must be absolute'],
    ['http://127.0.0.1:80', 'invalid listen address http://127.0.0.1:80: expected unix:///PATH or tcp://HOST:PORT'],
    ['tcp://127.0.0.1:70000', 'invalid listen address tcp://127.0.0.1:70000: port 70000 is out of range'],
    ['fd://2', 'invalid listen address fd://2: expected fd:// or fd://N with N >= 3'],
    ['fd://x', 'invalid listen address fd://x: expected fd:// or fd://N with N >= 3'],
  ])('rejects %s', (host, message) => {
    expect(() => parseListenAddress(host)).toThrow(message)
  })
})

describe('checkListenSecurity', () => {
  const tls = { caFile: 'ca.pem', certFile: 'cert.pem', keyFile: 'key.pem' }
  const refusal = (address: string) =>
    `cannot listen on ${address} without TLS: a non-loopback address needs --tlsverify ` +
    'with --tlscacert, --tlscert and --tlskey'

  it.each(['tcp://0.0.0.0:2375', 'tcp://10.0.0.1:2375', 'tcp://[::]:2375', 'tcp://example.com:2375', 'tcp://127.example.com:1'])(
    'rejects %s without TLS',
    (host) => {
      expect(() => checkListenSecurity(parseListenAddress(host), undefined)).toThrow(refusal(host))
    },
  )

  it.each(['tcp://127.0.0.1:2375', 'tcp://127.1.2.3:2375', 'tcp://localhost:2375', 'tcp://[::1]:2375', 'unix:///run/x.sock'])(
    'accepts %s without TLS',
    (host) => {
      expect(() => checkListenSecurity(parseListenAddress(host), undefined)).not.toThrow()
    },
  )

  it('accepts a non-loopback address with TLS', () => {
    expect(() => checkListenSecurity(parseListenAddress('tcp://0.0.0.0:2376'), tls)).not.toThrow()
  })
})

describe('resolveGroup', () => {
  it('takes a number as the gid', async () => {
    expect(await resolveGroup('4242')).toBe(4242)
  })

  it('looks a name up in /etc/group', async () => {
    expect(await resolveGroup('root')).toBe(0)
  })

  it('rejects an unknown name', async () => {
    await expect(resolveGroup('no-such-group-x')).rejects.toThrow('unknown group no-such-group-x: it is not in /etc/group')
  })
})

describe('tlsFromFlags', () => {
  it('returns undefined without any flag', () => {
    expect(tlsFromFlags({})).toBe(undefined)
  })

  it('maps the three files with --tlsverify', () => {
    expect(tlsFromFlags({ tlsverify: true, tlscacert: 'ca.pem', tlscert: 'cert.pem', tlskey: 'key.pem' })).toEqual({
      caFile: 'ca.pem',
      certFile: 'cert.pem',
      keyFile: 'key.pem',
    })
  })

  it.each([
    [{ tlsverify: true, tlscacert: 'ca.pem', tlscert: 'cert.pem' }, '--tlsverify needs --tlscacert, --tlscert and --tlskey'],
    [{ tlsverify: true }, '--tlsverify needs --tlscacert, --tlscert and --tlskey'],
    [{ tlscert: 'cert.pem' }, '--tlscacert, --tlscert and --tlskey take effect only with --tlsverify: add --tlsverify'],
  ])('rejects %o', (flags, message) => {
    expect(() => tlsFromFlags(flags)).toThrow(message)
  })
})

describe('readTlsCredentials', () => {
  const thisFile = fileURLToPath(import.meta.url)

  it('names the flag and file that cannot be read', async () => {
    const tls = { caFile: thisFile, certFile: '/nonexistent/cert.pem', keyFile: thisFile }
    await expect(readTlsCredentials(tls)).rejects.toThrow(
      "failed to read --tlscert /nonexistent/cert.pem: ENOENT: no such file or directory, open '/nonexistent/cert.pem'",
    )
  })

  it('returns the contents of the three files', async () => {
    const credentials = await readTlsCredentials({ caFile: thisFile, certFile: thisFile, keyFile: thisFile })
    const text = await readFile(thisFile)
    expect(credentials.ca).toEqual(text)
    expect(credentials.cert).toEqual(text)
    expect(credentials.key).toEqual(text)
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
