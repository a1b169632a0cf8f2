import { readdirSync, readFileSync } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** Whether the soak tests run their full counts (DEXEC_SOAK=full) or the reduced CI ones. */
export const FULL_SOAK = process.env.DEXEC_SOAK === 'full'

/** Number of open file descriptors of a process. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

/** Paths of the FIFOs under `directory`, at any depth; none when it does not exist. */
export async function fifosUnder(directory: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(directory)
  } catch {
    return []
  }
  const found: string[] = []
  for (const name of names) {
    const path = join(directory, name)
    const stats = await lstat(path).catch(() => null)
    if (stats?.isFIFO()) found.push(path)
    else if (stats?.isDirectory()) found.push(...(await fifosUnder(path)))
  }
  return found
}

/** Formats a byte count in MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
