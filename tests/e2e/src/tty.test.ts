import { spawn } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { DOCKER_CLI, hasDockerCli } from './docker.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

/** Runs a shell command line in a new pseudo-terminal (util-linux `script`) and returns what it printed. */
function inTerminal(commandLine: string, dockerHost: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', commandLine, '/dev/null'], {
      env: { PATH: process.env.PATH, HOME: '/nonexistent', DOCKER_HOST: dockerHost, DOCKER_CONFIG: '/nonexistent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe.skipIf(!hasDockerCli)('e2e, docker CLI exec with a terminal', () => {
  it('gives the process the client terminal size from the start', async () => {
    const result = await inTerminal(`stty rows 33 cols 77; ${DOCKER_CLI} exec -it demo stty size`, stack.dockerHost)
    expect(result.output).toBe('33 77\r\n')
    expect(result.code).toBe(0)
  })

  it('returns the exit code of a terminal process', async () => {
    const result = await inTerminal(`${DOCKER_CLI} exec -it demo sh -c 'exit 4'`, stack.dockerHost)
    expect(result.code).toBe(4)
  })
})
