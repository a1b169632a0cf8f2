import { readFile } from 'node:fs/promises'

// The kernel reports times in /proc in units of USER_HZ, which is 100 on every architecture
// that containerd and runc support.
const TICKS_PER_SECOND = 100

/**
 * Returns when the process `pid` started, from /proc/PID/stat and the boot time in /proc/stat,
 * or null when /proc does not show that process (it ended, or dexec runs in another PID
 * namespace than containerd). The boot time has whole seconds, so the result can be up to 1 s
 * early.
 */
export async function processStartTime(pid: number, procRoot = '/proc'): Promise<Date | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null
  const [boot, stat] = await Promise.all([
    readBootTime(procRoot),
    readFile(`${procRoot}/${pid}/stat`, 'utf8').catch(() => null),
  ])
  const ticks = stat === null ? null : startTicksOf(stat)
  if (boot === null || ticks === null) return null
  return new Date(boot * 1000 + (ticks * 1000) / TICKS_PER_SECOND)
}

/**
 * Reads field 22 (starttime, in ticks since boot) of a /proc/PID/stat line. The command name in
 * field 2 may contain spaces and parentheses, so fields are counted from the last `)`.
 */
export function startTicksOf(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const ticks = Number(fields[19])
  return Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : null
}

async function readBootTime(procRoot: string): Promise<number | null> {
  const text = await readFile(`${procRoot}/stat`, 'utf8').catch(() => '')
  const seconds = Number(/^btime (\d+)$/m.exec(text)?.[1])
  return Number.isSafeInteger(seconds) ? seconds : null
}
