import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { createContainer, startContainerd, type ContainerdInstance } from '@dexec/testkit'

/** The built dexec CLI that the tests run as a child process. */
export const CLI_PATH = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url))

/** A private containerd with the busybox container `demo`, named `web` by its label. */
export interface CliStack {
  containerd: ContainerdInstance
  /** The global flags that point the CLI at this containerd and a state dir inside it. */
  flags: string[]
  stop(): Promise<void>
}

/** Starts containerd and creates `demo`; the CLI runs per command, with no server. */
export async function startCliStack(): Promise<CliStack> {
  const containerd = await startContainerd()
  await createContainer(containerd, { id: 'demo', labels: { 'nerdctl/name': 'web' } })
  return {
    containerd,
    flags: ['--containerd', containerd.address, '--state-dir', join(containerd.directory, 'cli')],
    stop: () => containerd.stop(),
  }
}

/** What one CLI run printed and its exit status. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Starts the CLI with the given arguments and an environment without containerd variables. */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI_PATH, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Runs the CLI to its end, writing `input` to its stdin (then EOF), and collects its output. */
export function runCli(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const child = spawnCli(args, options.env)
  return collect(child, options.input ?? '')
}

function collect(child: ChildProcessWithoutNullStreams, input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })
}

/**
 * A command line running in a new pseudo-terminal (util-linux `script`),
 * with helpers to type into it and wait for output.
 */
export interface TerminalSession {
  output(): string
  type(text: string): void
  /** Waits until the output matches, for at most `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  exited: Promise<number | null>
}

/** Starts `commandLine` under `script -qfec` so that it gets a terminal of its own. */
export function startTerminal(commandLine: string): TerminalSession {
  const child = spawn('script', ['-qfec', commandLine, '/dev/null'], {
    env: { PATH: process.env.PATH, HOME: '/nonexistent', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let text = ''
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    output: () => text,
    type: (input) => child.stdin.write(input),
    exited,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs
      while (!pattern.test(text)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern} in ${JSON.stringify(text)}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
}
