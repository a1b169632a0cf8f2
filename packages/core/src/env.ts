/** The PATH that Docker puts first in every exec environment on Linux. */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * Overlays `overlay` on `base` the way Docker does: `K=V` replaces an
 * existing `K` in place or is appended, and a bare `K` removes `K`. Keys
 * appended by the overlay are not matched again, so duplicates can survive,
 * and a `K=V` after a bare `K` takes back the removed slot. Empty entries are
 * dropped, because Docker uses the empty string as its removal mark.
 */
export function overlayEnv(base: readonly string[], overlay: readonly string[]): string[] {
  const result = [...base]
  const index = new Map<string, number>()
  base.forEach((entry, i) => index.set(envKey(entry), i))
  for (const entry of overlay) {
    const position = index.get(envKey(entry))
    if (!entry.includes('=')) {
      if (position !== undefined) result[position] = ''
      continue
    }
    if (position !== undefined) result[position] = entry
    else result.push(entry)
  }
  return result.filter((entry) => entry !== '')
}

/**
 * Builds an exec's environment at create time: Docker's defaults (PATH,
 * HOSTNAME, TERM for a terminal), then the container's env, then the
 * exec's own.
 */
export function buildExecEnv(options: {
  hostname: string
  tty: boolean
  containerEnv: readonly string[]
  execEnv: readonly string[]
}): string[] {
  // A container whose spec sets no hostname keeps the one its UTS namespace
  // inherited, which dexec cannot know; an empty HOSTNAME would be wrong.
  const defaults = options.hostname ? [DEFAULT_PATH_ENV, `HOSTNAME=${options.hostname}`] : [DEFAULT_PATH_ENV]
  if (options.tty) defaults.push('TERM=xterm')
  return overlayEnv(overlayEnv(defaults, options.containerEnv), options.execEnv)
}

function envKey(entry: string): string {
  const equals = entry.indexOf('=')
  return equals === -1 ? entry : entry.slice(0, equals)
}
