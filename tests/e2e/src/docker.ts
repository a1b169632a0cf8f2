import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Where the docker CLI is expected; tests that need it are skipped when it is missing. */
export const DOCKER_CLI = '/usr/local/bin/docker'
export const hasDockerCli = existsSync(DOCKER_CLI)

/** What a finished docker CLI run printed and returned. */
export interface DockerResult {
  code: number | null
  stdout: Buffer
  stderr: string
  /** Process id of the docker CLI run. */
  pid: number
}

/**
 * Runs the docker CLI against `dockerHost` with an empty config directory,
 * feeding `input` to its stdin (closed at once when undefined).
 */
export function docker(
  dockerHost: string,
  args: string[],
  options: { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER_CLI, args, {
      env: { PATH: process.env.PATH, HOME: '/nonexistent', DOCKER_HOST: dockerHost, DOCKER_CONFIG: '/nonexistent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`docker ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30_000} ms`))
    }, options.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString(), pid: child.pid! })
    })
    child.stdin.end(options.input)
  })
}
