import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CLI_PATH, runCli, spawnCli, startCliStack, startTerminal, type CliStack } from './cli.js'

let stack: CliStack

beforeAll(async () => {
  stack = await startCliStack()
})

afterAll(async () => {
  await stack?.stop()
})

const exec = (args: string[], input?: string) =>
  runCli([...stack.flags, 'exec', ...args], { input })

describe('e2e, dexec exec', () => {
  it('exits with the exit code of the process', async () => {
    const result = await exec(['demo', 'sh', '-c', 'exit 5'])
    expect(result.code).toBe(5)
  })

  it('keeps stdout and stderr apart', async () => {
    const result = await exec(['demo', 'sh', '-c', 'echo out; echo err >&2'])
    expect(result.stdout).toBe('out\n')
    expect(result.stderr).toBe('err\n')
    expect(result.code).toBe(0)
  })

  it('pipes stdin with -i and closes it at EOF', async () => {
    const result = await exec(['-i', 'demo', 'cat'], 'x')
    expect(result.stdout).toBe('x')
    expect(result.code).toBe(0)
  })

  it('gives no stdin without -i', async () => {
    const result = await exec(['demo', 'cat'], 'ignored')
    expect(result.stdout).toBe('')
    expect(result.code).toBe(0)
  })

  it.each([
    { signal: 'SIGTERM', code: 143 },
    { signal: 'SIGINT', code: 130 },
    { signal: 'SIGHUP', code: 129 },
  ] as const)('forwards $signal to the process and exits $code', async ({ signal, code }) => {
    const child = spawnCli([...stack.flags, 'exec', 'demo', 'sh', '-c', 'echo ready; exec sleep 300'])
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
    child.kill(signal)
    expect(await exited).toBe(code)
  })

  it('rejects an unknown container with 125', async () => {
    const result = await exec(['nosuch', 'true'])
    expect(result.stderr).toBe('dexec: No such container: nosuch\n')
    expect(result.code).toBe(125)
  })

  it('names an unreachable containerd', async () => {
    const missing = join(stack.containerd.directory, 'missing.sock')
    const result = await runCli([
      '--containerd',
      missing,
      '--state-dir',
      join(stack.containerd.directory, 'cli'),
      'exec',
      'demo',
      'true',
    ])
    expect(
      result.stderr.startsWith(
        `dexec: failed to connect to containerd at ${missing}; is it running? (`,
      ),
    ).toBe(true)
    expect(result.code).toBe(125)
  })

  it.each([
    { doc: 'a command that does not exist', cmd: ['nosuchcmd'], code: 127 },
    { doc: 'a file that is not executable', cmd: ['/etc/passwd'], code: 126 },
  ])('exits $code for $doc', async ({ cmd, code }) => {
    const result = await exec(['demo', ...cmd])
    expect(result.code).toBe(code)
  })

  it('applies -e, --env-file, -w and -u', async () => {
    const envFile = join(stack.containerd.directory, 'exec.env')
    writeFileSync(envFile, '# a comment\nFROM_FILE=1\n\nSHADOWED=file\n')
    const script = 'echo "$FROM_FILE $SHADOWED $FROM_FLAG $(pwd) $(id -un)"'
    const result = await exec([
      '--env-file',
      envFile,
      '-e',
      'SHADOWED=flag',
      '-e',
      'FROM_FLAG=2',
      '-w',
      '/tmp',
      '-u',
      'alice',
      'demo',
      'sh',
      '-c',
      script,
    ])
    expect(result.stdout).toBe('1 flag 2 /tmp alice\n')
  })

  it('resolves the container by its name label', async () => {
    const result = await exec(['web', 'cat', '/etc/hostname'])
    expect(result.code).toBe(0)
  })

  it('leaves a process running with -d and prints nothing', async () => {
    const result = await exec(['-d', 'demo', 'sleep', '301'])
    expect(result.stdout).toBe('')
    expect(result.code).toBe(0)
    const ps = await exec(['demo', 'ps'])
    expect(ps.stdout).toContain('sleep 301')
  })

  it('rejects -it when stdin is not a terminal', async () => {
    const result = await exec(['-it', 'demo', 'sh'])
    expect(result.stderr).toBe('dexec: the input device is not a TTY\n')
    expect(result.code).toBe(1)
  })
})

describe('e2e, dexec exec -it in a pseudo-terminal', () => {
  it('follows the terminal size, then detaches with ctrl-p ctrl-q', async () => {
    const go = join(stack.containerd.directory, 'resize-now')
    // The background job changes the size of the shared terminal once `go`
    // exists; the kernel then sends SIGWINCH to the CLI.
    const resizer = `(while [ ! -e ${go} ]; do sleep 0.1; done; stty rows 50 cols 120 < /dev/tty) &`
    const cli = `${process.execPath} ${CLI_PATH} ${stack.flags.join(' ')} exec -it demo sh`
    const terminal = startTerminal(`stty rows 40 cols 100; ${resizer} ${cli}`)
    await terminal.waitFor(/# /)
    terminal.type('stty size\r')
    await terminal.waitFor(/40 100\r+\n/)

    writeFileSync(go, '')
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    terminal.type('stty size\r')
    await terminal.waitFor(/50 120\r+\n/)

    terminal.type('sleep 302\r')
    await new Promise((resolve) => setTimeout(resolve, 500))
    terminal.type('\x10\x11')
    expect(await terminal.exited).toBe(0)
    expect(terminal.output()).not.toContain('read escape sequence')
    const ps = await exec(['demo', 'ps'])
    expect(ps.stdout).toContain('sleep 302')
  })

  it('detaches with keys from --detach-keys', async () => {
    const cli = `${process.execPath} ${CLI_PATH} ${stack.flags.join(
      ' ',
    )} exec -it --detach-keys ctrl-x demo sh`
    const terminal = startTerminal(`stty rows 24 cols 80; ${cli}`)
    await terminal.waitFor(/# /)
    terminal.type('sleep 304\r')
    await new Promise((resolve) => setTimeout(resolve, 500))
    terminal.type('\x18')
    expect(await terminal.exited).toBe(0)
    const ps = await exec(['demo', 'ps'])
    expect(ps.stdout).toContain('sleep 304')
  })

  it('returns the exit code of a terminal process', async () => {
    const cli = `${process.execPath} ${CLI_PATH} ${stack.flags.join(
      ' ',
    )} exec -it demo sh -c 'exit 4'`
    const terminal = startTerminal(`stty rows 24 cols 80; ${cli}`)
    expect(await terminal.exited).toBe(4)
  })
})
