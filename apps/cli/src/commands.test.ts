import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'

import { execEvent } from '@dexec/core'
import { afterAll, describe, expect, it } from 'vitest'

import { formatTable } from './containers.js'
import { resolveConnection } from './daemonless.js'
import { eventJson, eventText, parseFilterFlags, parseTime } from './events.js'
import { buildCreateRequest, readEnvFiles, type ExecStdio } from './exec.js'
import { CliError, formatHelp } from './help.js'

const directory = mkdtempSync(join(tmpdir(), 'dexec-cli-commands-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const NOW = 1_800_000_000_000_000_000n

describe('parseTime', () => {
  it.each([
    { doc: 'unix seconds', value: '1700000000', expected: 1_700_000_000_000_000_000n },
    { doc: 'a fraction', value: '1700000000.25', expected: 1_700_000_000_250_000_000n },
    {
      doc: 'an RFC 3339 time',
      value: '2023-11-14T22:13:20Z',
      expected: 1_700_000_000_000_000_000n,
    },
    { doc: 'a duration ago', value: '1m30s', expected: NOW - 90_000_000_000n },
  ])('reads $doc', ({ value, expected }) => {
    expect(parseTime('--since', value, NOW)).toBe(expected)
  })

  it('rejects a word', () => {
    expect(() => parseTime('--until', 'tomorrow', NOW)).toThrow(CliError)
  })
})

describe('parseFilterFlags', () => {
  it('groups values by name', () => {
    expect(parseFilterFlags(['event=exec_die', 'container=web', 'event=exec_start'])).toEqual({
      event: ['exec_die', 'exec_start'],
      container: ['web'],
    })
  })

  it('keeps an equals sign inside the value', () => {
    expect(parseFilterFlags(['label=a=b'])).toEqual({ label: ['a=b'] })
  })
})

describe('event formats', () => {
  const event = execEvent({
    action: 'exec_die',
    containerId: 'demo',
    execId: 'e1',
    labels: { team: 'a' },
    image: '',
    name: 'web',
    extra: { exitCode: '3' },
    now: 1_700_000_000_000_000_123n,
  })

  it('writes text as docker events does', () => {
    expect(eventText(event)).toBe(
      '2023-11-14T22:13:20.000000123Z container exec_die demo (execID=e1, exitCode=3, name=web, team=a)',
    )
  })

  it('writes JSON with an exact timeNano', () => {
    expect(eventJson(event)).toBe(
      '{"Type":"container","Action":"exec_die","Actor":{"ID":"demo","Attributes":' +
        '{"execID":"e1","exitCode":"3","name":"web","team":"a"}},"scope":"local","time":1700000000,' +
        '"timeNano":1700000000000000123}',
    )
  })
})

describe('readEnvFiles', () => {
  it('skips comments and blank lines and reads names from the environment', () => {
    const path = join(directory, 'a.env')
    writeFileSync(
      path,
      '# comment\n\n  A=1\r\nB=two words\nDEXEC_TEST_FROM_ENV\nDEXEC_TEST_UNSET\n',
    )
    process.env.DEXEC_TEST_FROM_ENV = 'yes'
    expect(readEnvFiles([path])).toEqual(['A=1', 'B=two words', 'DEXEC_TEST_FROM_ENV=yes'])
    delete process.env.DEXEC_TEST_FROM_ENV
  })

  it('rejects a name with whitespace', () => {
    const path = join(directory, 'b.env')
    writeFileSync(path, 'BAD NAME=1\n')
    expect(() => readEnvFiles([path])).toThrow(
      `invalid env file ${path}: variable 'BAD NAME' contains whitespaces`,
    )
  })

  it('names a file it cannot read', () => {
    expect(() => readEnvFiles([join(directory, 'absent.env')])).toThrow(
      /^failed to read the env file .*absent\.env: ENOENT/,
    )
  })
})

describe('buildCreateRequest', () => {
  const terminal = Object.assign(new PassThrough(), { isTTY: true, rows: 40, columns: 100 })
  const stdio = {
    stdin: new PassThrough(),
    stdout: terminal,
    stderr: new PassThrough(),
  } as ExecStdio

  it('attaches every stream and sends the terminal size for -it', () => {
    const request = buildCreateRequest({ interactive: true, tty: true }, ['sh'], stdio)
    expect(request).toEqual({
      Cmd: ['sh'],
      Env: [],
      User: '',
      WorkingDir: '',
      Tty: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Privileged: false,
      DetachKeys: '',
      ConsoleSize: [40, 100],
    })
  })

  it('attaches nothing with -d', () => {
    const request = buildCreateRequest({ detach: true, interactive: true }, ['true'], stdio)
    expect([request.AttachStdin, request.AttachStdout, request.AttachStderr]).toEqual([
      false,
      false,
      false,
    ])
  })

  it('puts -e after the env files, as docker does', () => {
    const path = join(directory, 'c.env')
    writeFileSync(path, 'A=file\n')
    const request = buildCreateRequest({ envFile: [path], env: ['A=flag'] }, ['env'], stdio)
    expect(request.Env).toEqual(['A=file', 'A=flag'])
  })
})

describe('resolveConnection', () => {
  it('prefers the command flag, then the global flag, then the environment', () => {
    const env = { CONTAINERD_ADDRESS: '/env.sock', CONTAINERD_NAMESPACE: 'envns' }
    expect(
      resolveConnection(
        { containerd: '/flag.sock' },
        { containerd: '/global.sock', namespace: 'g' },
        env,
      ),
    ).toEqual({
      containerd: '/flag.sock',
      namespace: 'g',
      stateDir: '/run/dexec/cli',
      logLevel: 'warn',
    })
  })

  it('falls back to the environment', () => {
    expect(resolveConnection({}, {}, { CONTAINERD_NAMESPACE: 'k8s.io' }).namespace).toBe('k8s.io')
  })
})

describe('formatTable', () => {
  it('pads every column but the last by three spaces', () => {
    expect(formatTable(['A', 'BB', 'C'], [['long', 'x', 'y']])).toBe(
      'A      BB   C\nlong   x    y\n',
    )
  })
})

describe('formatHelp', () => {
  it('aligns the options and shows defaults and variables', () => {
    const help = formatHelp({
      usage: 'dexec x [OPTIONS]',
      description: 'Do x',
      flags: [
        {
          long: 'name',
          short: 'n',
          valueName: 'string',
          help: 'the name',
          default: 'a',
          env: 'X_NAME',
        },
        { long: 'force', help: 'force it' },
      ],
    })
    expect(help).toBe(
      'Usage:  dexec x [OPTIONS]\n\nDo x\n\nOptions:\n' +
        '  -n, --name string   the name (default "a") [$X_NAME]\n' +
        '      --force         force it\n' +
        '  -h, --help          Print usage\n',
    )
  })
})
