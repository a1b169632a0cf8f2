import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/**
 * Runs containerd's `ctr` against the given socket and namespace and returns
 * its stdout. Only test setup uses it; dexec itself talks gRPC.
 */
export async function ctr(address: string, namespace: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ctr', ['-a', address, '-n', namespace, ...args], {
      timeout: 60_000,
    })
    return stdout
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || (err as Error).message
    throw new Error(`ctr ${args.join(' ')} failed: ${detail}`, { cause: err })
  }
}
