import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

import { waitFor } from '@dexec/testkit'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CLI_PATH, runCli, spawnCli, startCliStack, type CliStack } from './cli.js'
import { api } from './http.js'

let stack: CliStack
let sleeperExecId: string

beforeAll(async () => {
  stack = await startCliStack()
  await runCli([...stack.flags, 'exec', '-d', 'demo', 'sleep', '303'])
  const inspect = JSON.parse((await dexec(['inspect', 'demo'])).stdout) as [{ ExecIDs: string[] }]
  sleeperExecId = inspect[0].ExecIDs[0]!
})

afterAll(async () => {
  await stack?.stop()
})

const dexec = (args: string[]) => runCli([...stack.flags, ...args])

describe('e2e, dexec ps', () => {
  it('lists id, name, status and exec count', async () => {
    const result = await dexec(['ps'])
    expect(result.stdout).toBe(
      'CONTAINER ID   NAME   STATUS   EXECS\ndemo           web    Up       1\n',
    )
    expect(result.code).toBe(0)
  })

  it('prints one JSON object per line', async () => {
    const result = await dexec(['ps', '--format', 'json'])
    expect(result.stdout).toBe('{"ID":"demo","Name":"web","Status":"Up","Execs":1}\n')
  })

  it('rejects an unknown format with 125', async () => {
    const result = await dexec(['ps', '--format', 'yaml'])
    expect(result.stderr).toBe(
      'dexec: invalid value "yaml" for --format: expected "table" or "json"\n',
    )
    expect(result.code).toBe(125)
  })

  it('takes the address from CONTAINERD_ADDRESS', async () => {
    const env = { CONTAINERD_ADDRESS: stack.containerd.address }
    const result = await runCli(
      ['ps', '--format', 'json', '--state-dir', `${stack.containerd.directory}/cli`],
      { env },
    )
    expect(result.stdout).toBe('{"ID":"demo","Name":"web","Status":"Up","Execs":1}\n')
  })
})

describe('e2e, dexec ps --execs', () => {
  it('lists the running exec processes of the containers', async () => {
    const result = await dexec(['ps', '--execs', '--format', 'json'])
    const rows = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(rows.map((row) => [row.ID, row.ContainerID, row.Container, row.Running, row.ExitCode])).toEqual([
      [sleeperExecId, 'demo', 'web', true, null],
    ])
  })

  it('prints a table with a short exec id', async () => {
    const result = await dexec(['ps', '--execs'])
    const [header, row, end] = result.stdout.split('\n')
    expect(header).toMatch(/^EXEC ID {8}CONTAINER {3}PID {3,}STATUS$/)
    expect(row).toMatch(new RegExp(`^${sleeperExecId.slice(0, 12)}   web {9}\\d+ +running$`))
    expect(end).toBe('')
  })
})

describe('e2e, dexec inspect', () => {
  it('prints a container as a Docker inspect array', async () => {
    const result = await dexec(['inspect', 'web'])
    expect(result.stdout.startsWith('[\n    {\n        "Id": "demo",\n')).toBe(true)
    const [container] = JSON.parse(result.stdout) as [Record<string, any>]
    expect(container.Name).toBe('/web')
    expect(container.State.Running).toBe(true)
    expect(container.ExecIDs).toEqual([sleeperExecId])
  })

  it('prints an exec process that containerd has', async () => {
    const result = await dexec(['inspect', sleeperExecId])
    const [exec] = JSON.parse(result.stdout) as [Record<string, unknown>]
    expect(Object.keys(exec)).toEqual(['ID', 'Running', 'ExitCode', 'ContainerID', 'Pid'])
    expect(exec).toMatchObject({
      ID: sleeperExecId,
      Running: true,
      ExitCode: null,
      ContainerID: 'demo',
    })
    expect(exec.Pid).toBeGreaterThan(0)
  })

  it('finds an exec process by the 12-character id that ps --execs prints', async () => {
    const result = await dexec(['inspect', sleeperExecId.slice(0, 12)])
    const [exec] = JSON.parse(result.stdout) as [Record<string, unknown>]
    expect(exec.ID).toBe(sleeperExecId)
  })

  it('fails with 125 for an unknown id after printing the others', async () => {
    const result = await dexec(['inspect', 'nosuch'])
    expect(result.stdout).toBe('[]\n')
    expect(result.stderr).toBe('dexec: No such object: nosuch\n')
    expect(result.code).toBe(125)
  })
})

describe('e2e, dexec events', () => {
  it('streams the filtered exec events as JSON lines', async () => {
    const events = spawnCli([
      ...stack.flags,
      'events',
      '--format',
      'json',
      '--filter',
      'container=web',
      '--filter',
      'event=exec_die',
    ])
    const lines = createInterface({ input: events.stdout })[Symbol.asyncIterator]()
    // containerd does not confirm a subscription, so the exec waits a moment.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await dexec(['exec', 'demo', 'sh', '-c', 'exit 3'])
    const line = (await lines.next()).value as string
    const event = JSON.parse(line) as {
      Action: string
      Actor: { ID: string; Attributes: Record<string, string> }
    }
    expect(event.Action).toBe('exec_die')
    expect(event.Actor.ID).toBe('demo')
    expect(Object.keys(event.Actor.Attributes)).toEqual([
      'execID',
      'exitCode',
      'name',
      'nerdctl/name',
    ])
    expect(event.Actor.Attributes.exitCode).toBe('3')
    expect(event.Actor.Attributes.name).toBe('web')
    expect(line).toMatch(/"scope":"local","time":\d+,"timeNano":\d{19}}$/)
    const exited = new Promise((resolve) => events.once('close', resolve))
    events.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('prints text lines in the order of the exec, and stops at --until', async () => {
    const until = String(Math.floor(Date.now() / 1000) + 6)
    const events = spawnCli([...stack.flags, 'events', '--until', until])
    let output = ''
    events.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise((resolve) => events.once('close', resolve))
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await dexec(['exec', 'demo', 'true'])
    expect(await exited).toBe(0)
    const actions = output
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[2])
    expect(actions).toEqual(['exec_create', 'exec_start', 'exec_die'])
    const id = '[0-9a-f]{64}'
    const dieLine = new RegExp(
      `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container exec_die demo \\(execID=${id}, exitCode=0, name=web, nerdctl/name=web\\)$`,
    )
    expect(output.trim().split('\n')[2]).toMatch(dieLine)
  })

  it('rejects a filter without a value', async () => {
    const result = await dexec(['events', '--filter', 'event'])
    expect(result.stderr).toBe('dexec: invalid value "event" for --filter: expected name=value\n')
    expect(result.code).toBe(125)
  })
})

describe('e2e, dexec serve with a config file', () => {
  it('serves on the host of the file, with the flag over the environment', async () => {
    const directory = stack.containerd.directory
    const socketPath = join(directory, 'from-file.sock')
    const config = join(directory, 'dexec.json')
    writeFileSync(
      config,
      JSON.stringify({ host: `unix://${socketPath}`, 'state-dir': join(directory, 'serve') }),
    )
    const env = {
      DEXEC_CONFIG: config,
      CONTAINERD_ADDRESS: stack.containerd.address,
      DEXEC_LOG_LEVEL: 'fatal',
    }
    const server = spawnCli(['serve', '--log-level', 'info'], env)
    let stderr = ''
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    await waitFor(() => existsSync(socketPath), { what: `dexec to listen on ${socketPath}` })
    const response = await api(socketPath, 'GET', '/containers/web/json')
    expect(response.status).toBe(200)
    const exited = new Promise((resolve) => server.once('close', resolve))
    server.kill('SIGTERM')
    expect(await exited).toBe(0)
    // info lines appear only because the flag beat DEXEC_LOG_LEVEL=fatal.
    expect(stderr).toContain('"msg":"dexec is listening"')
  })

  it('exits 125 naming an invalid value of the file', async () => {
    const config = join(stack.containerd.directory, 'bad.json')
    writeFileSync(config, JSON.stringify({ 'exec-gc-interval': 'often' }))
    const result = await runCli(['serve', '--config', config])
    expect(result.stderr).toBe(
      `dexec: invalid value "often" for "exec-gc-interval" in ${config}: expected a number\n`,
    )
    expect(result.code).toBe(125)
  })
})

const SOCKET_ACTIVATE = '/usr/bin/systemd-socket-activate'

describe.skipIf(!existsSync(SOCKET_ACTIVATE))('e2e, dexec serve under socket activation', () => {
  it('serves the socket that systemd passes with --host fd://', async () => {
    const socketPath = join(stack.containerd.directory, 'activated.sock')
    const args = [
      '-l',
      socketPath,
      process.execPath,
      CLI_PATH,
      'serve',
      '--host',
      'fd://',
      '--containerd',
      stack.containerd.address,
      '--state-dir',
      join(stack.containerd.directory, 'activated'),
    ]
    // systemd-socket-activate binds the socket, then execs dexec on the first connection.
    const activator = spawn(SOCKET_ACTIVATE, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    activator.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    await waitFor(() => existsSync(socketPath), { what: `the activated socket ${socketPath}` })
    const response = await api(socketPath, 'GET', '/containers/web/json')
    expect(response.status).toBe(200)
    const exited = new Promise((resolve) => activator.once('close', resolve))
    activator.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(stderr).not.toContain('dexec:')
  })

  it('rejects fd:// when no socket was passed', async () => {
    const result = await runCli(['serve', '--host', 'fd://'])
    expect(result.stderr).toBe(
      'dexec: invalid value "fd://" for --host: systemd passed no such socket (LISTEN_FDS=0)\n',
    )
    expect(result.code).toBe(125)
  })
})

describe('e2e, dexec usage', () => {
  it('prints Docker-style help for exec', async () => {
    const result = await runCli(['exec', '--help'])
    const lines = result.stdout.split('\n')
    expect(lines.slice(0, 4)).toEqual([
      'Usage:  dexec exec [OPTIONS] CONTAINER COMMAND [ARG...]',
      '',
      'Run a command in a running container, without a server',
      '',
    ])
    expect(lines).toContain(
      '      --detach-keys string   Override the key sequence for detaching (default "ctrl-p,ctrl-q")',
    )
    expect(result.code).toBe(0)
  })

  it('rejects an unknown flag with 125', async () => {
    const result = await runCli(['exec', '--bogus', 'demo', 'true'])
    expect(result.stderr).toBe("dexec: unknown option '--bogus'\nSee 'dexec exec --help'.\n")
    expect(result.code).toBe(125)
  })

  it('prints its version', async () => {
    const result = await runCli(['--version'])
    expect(result.stdout).toMatch(/^dexec version \d+\.\d+\.\d+\n$/)
    expect(result.code).toBe(0)
  })

  it('rejects an unknown command with 1', async () => {
    const result = await runCli(['frob'])
    expect(result.stderr).toBe("dexec: 'frob' is not a dexec command.\nSee 'dexec --help'.\n")
    expect(result.code).toBe(1)
  })
})
