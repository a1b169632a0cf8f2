import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { CliError } from './help.js'
import { envNameOf, resolveServeOptions, SERVE_OPTIONS, toServerOptions } from './serve-options.js'
import { serveUsage } from './serve.js'

const directory = mkdtempSync(join(tmpdir(), 'dexec-cli-options-'))
const missingConfig = join(directory, 'absent.json')

afterAll(() => rmSync(directory, { recursive: true, force: true }))

function writeConfig(body: unknown): string {
  const path = join(directory, `config-${Math.random().toString(16).slice(2)}.json`)
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body))
  return path
}

function resolve(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, config?: unknown) {
  const configPath = config === undefined ? undefined : writeConfig(config)
  return resolveServeOptions(SERVE_OPTIONS, { flags, env, configPath })
}

function errorOf(run: () => unknown): CliError {
  try {
    run()
  } catch (err) {
    if (err instanceof CliError) return err
    throw err
  }
  throw new Error('expected a CliError')
}

describe('resolveServeOptions', () => {
  it('takes the flag over the environment and the file', () => {
    const values = resolve(
      { execGcInterval: '7' },
      { DEXEC_EXEC_GC_INTERVAL: '8' },
      { 'exec-gc-interval': 9 },
    )
    expect(values['exec-gc-interval']).toBe(7)
  })

  it('takes the environment over the file', () => {
    const values = resolve({}, { DEXEC_EXEC_GC_INTERVAL: '8' }, { 'exec-gc-interval': 9 })
    expect(values['exec-gc-interval']).toBe(8)
  })

  it('takes the file over the default', () => {
    const values = resolve({}, {}, { 'exec-gc-interval': 9, 'keep-on-disconnect': true })
    expect(values['exec-gc-interval']).toBe(9)
    expect(values['keep-on-disconnect']).toBe(true)
  })

  it('falls back to the defaults', () => {
    const values = resolveServeOptions(SERVE_OPTIONS, { flags: {}, env: {}, configPath: undefined })
    expect(values).toEqual({
      containerd: '/run/containerd/containerd.sock',
      namespace: 'default',
      host: 'unix:///run/dexec.sock',
      group: undefined,
      tlsverify: false,
      tlscacert: undefined,
      tlscert: undefined,
      tlskey: undefined,
      'headers-timeout': 10,
      'state-dir': '/run/dexec',
      'keep-on-disconnect': false,
      'shutdown-timeout': 10,
      'exec-gc-interval': 300,
      'exec-timeout': 0,
      'exec-timeout-grace': 10,
      'audit-log': undefined,
      'audit-log-max-size': 100,
      'log-level': 'warn',
    })
  })

  it('reports where each value came from', () => {
    const path = writeConfig({ host: 'unix:///tmp/file.sock' })
    const origins: Record<string, string> = {}
    const flags = { logLevel: 'info' }
    resolveServeOptions(
      SERVE_OPTIONS,
      { flags, env: { CONTAINERD_NAMESPACE: 'k8s.io' }, configPath: path },
      origins,
    )
    expect(origins['log-level']).toBe('--log-level')
    expect(origins.namespace).toBe('CONTAINERD_NAMESPACE')
    expect(origins.host).toBe(`"host" in ${path}`)
    expect(origins['state-dir']).toBe('default')
  })

  it('reads containerd variables by their usual names', () => {
    const values = resolve({}, { CONTAINERD_ADDRESS: '/a.sock', CONTAINERD_NAMESPACE: 'k8s.io' })
    expect(values.containerd).toBe('/a.sock')
    expect(values.namespace).toBe('k8s.io')
  })

  it.each([
    {
      doc: 'a zero interval flag',
      flags: { execGcInterval: '0' },
      env: {},
      message: 'invalid value "0" for --exec-gc-interval: expected a whole number of seconds >= 1',
    },
    {
      doc: 'a fraction of an interval',
      flags: { execGcInterval: '1.5' },
      env: {},
      message: 'invalid value "1.5" for --exec-gc-interval: expected a whole number',
    },
    {
      doc: 'a word for a number',
      flags: {},
      env: { DEXEC_SHUTDOWN_TIMEOUT: 'soon' },
      message: 'invalid value "soon" for DEXEC_SHUTDOWN_TIMEOUT: expected a number',
    },
    {
      doc: 'an unknown log level',
      flags: { logLevel: 'loud' },
      env: {},
      message:
        'invalid value "loud" for --log-level: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
    },
    {
      doc: 'a relative state dir',
      flags: { stateDir: 'run' },
      env: {},
      message: 'invalid value "run" for --state-dir: expected an absolute path',
    },
    {
      doc: 'a host without a scheme',
      flags: { host: '/run/x.sock' },
      env: {},
      message: 'invalid value "/run/x.sock" for --host: expected unix:///PATH, tcp://HOST:PORT or fd://',
    },
    {
      doc: 'a boolean word',
      flags: {},
      env: { DEXEC_KEEP_ON_DISCONNECT: 'yes' },
      message: 'invalid value "yes" for DEXEC_KEEP_ON_DISCONNECT: expected true or false',
    },
  ])('rejects $doc, naming the option and value', ({ flags, env, message }) => {
    const error = errorOf(() => resolve(flags, env))
    expect(error.message).toBe(message)
    expect(error.exitCode).toBe(125)
  })

  it('names the file key of an invalid file value', () => {
    const path = writeConfig({ 'shutdown-timeout': -1 })
    const error = errorOf(() =>
      resolveServeOptions(SERVE_OPTIONS, { flags: {}, env: {}, configPath: path }),
    )
    expect(error.message).toBe(
      `invalid value -1 for "shutdown-timeout" in ${path}: expected seconds >= 0`,
    )
  })

  it('rejects an unknown key in the file', () => {
    const error = errorOf(() => resolve({}, {}, { hots: 'unix:///x.sock' }))
    expect(error.message).toMatch(/unknown option "hots"$/)
  })

  it('rejects a file that is not JSON', () => {
    const error = errorOf(() => resolve({}, {}, '{host'))
    expect(error.message).toMatch(/^invalid config file .*config-[0-9a-f]+\.json: /)
  })

  it('rejects a missing file that was named', () => {
    const error = errorOf(() =>
      resolveServeOptions(SERVE_OPTIONS, { flags: {}, env: {}, configPath: missingConfig }),
    )
    expect(error.message).toMatch(/^invalid config file .*absent\.json: ENOENT/)
  })
})

describe('toServerOptions', () => {
  it('maps the values onto startServer options', () => {
    const values = resolve(
      { keepOnDisconnect: true, execGcInterval: '60', host: 'tcp://127.0.0.1:2375' },
      {},
    )
    expect(toServerOptions(SERVE_OPTIONS, values)).toEqual({
      containerd: '/run/containerd/containerd.sock',
      namespace: 'default',
      host: 'tcp://127.0.0.1:2375',
      headersTimeoutMs: 10_000,
      stateDir: '/run/dexec',
      killOnDisconnect: false,
      gcIntervalMs: 60_000,
      execTimeoutSeconds: 0,
      execTimeoutGraceSeconds: 10,
      auditLogMaxSizeMb: 100,
    })
  })
})

describe('SERVE_OPTIONS', () => {
  it.each(SERVE_OPTIONS.map((option) => ({ name: option.name, env: envNameOf(option) })))(
    'lists --$name and $env in the help',
    ({ name, env }) => {
      expect(serveUsage).toContain(`--${name}`)
      expect(serveUsage).toContain(`[$${env}]`)
    },
  )

  it('starts the help with the usage line and description', () => {
    const [usage, blank, description] = serveUsage.split('\n')
    expect(usage).toBe('Usage:  dexec serve [OPTIONS]')
    expect(blank).toBe('')
    expect(description).toBe(
      'Serve the Docker Engine exec API for the containers of one containerd namespace',
    )
  })
})
