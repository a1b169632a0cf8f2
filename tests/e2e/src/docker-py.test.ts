import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startStack, type Stack } from './stack.js'

const execFileAsync = promisify(execFile)

// Debian's python3-docker (docker-py 5.0.3), installed by scripts/setup.sh.
const PYTHON = '/usr/bin/python3'
const script = fileURLToPath(new URL('../py/exec_checks.py', import.meta.url))
const hasDockerPy = existsSync('/usr/lib/python3/dist-packages/docker')

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

describe.skipIf(!hasDockerPy)('e2e, docker-py exec_run', () => {
  it('runs execs with output, exit code, user, env and workdir', async () => {
    const { stdout } = await execFileAsync(PYTHON, [script], {
      env: { PATH: process.env.PATH, DOCKER_HOST: stack.dockerHost },
      timeout: 60_000,
    })
    const observed = JSON.parse(stdout)
    expect(observed.plain).toEqual({ exit_code: 3, stdout: 'out\n', stderr: 'err\n' })
    expect(observed.user).toBe('1000\n')
    expect(observed.env).toBe('hello\n')
    expect(observed.workdir).toBe('/tmp\n')
    expect(observed.ping).toBe(true)
  })
})
