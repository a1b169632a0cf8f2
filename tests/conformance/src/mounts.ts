import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** Lists the mount points at or below `directory`, deepest first. */
export async function mountsBelow(directory: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8')
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    // mountinfo escapes space, tab, newline and backslash as three octal digits.
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => point === directory || point.startsWith(`${directory}/`))
  return [...new Set(points)].sort((a, b) => b.length - a.length)
}

/** Unmounts everything at or below `directory`, lazily so that a busy mount cannot stop it. */
export async function unmountBelow(directory: string): Promise<void> {
  for (const point of await mountsBelow(directory)) {
    await execFileAsync('umount', ['-l', point])
  }
}
