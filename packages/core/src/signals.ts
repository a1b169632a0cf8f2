import { constants } from 'node:os'

import { DexecError } from './errors.js'

// Linux numbers signals from 1 to SIGRTMAX, which is 64 with glibc and musl.
const MAX_SIGNAL = 64

/** The signal that a kill without one sends, as `docker kill` does. */
export const DEFAULT_KILL_SIGNAL = constants.signals.SIGKILL

/**
 * Parses a signal as Docker's kill does: a number, or a name with or without the `SIG`
 * prefix in any case (`15`, `TERM`, `sigterm`). An empty or absent value is SIGKILL.
 * Throws INVALID_PARAMETER naming the value for anything else.
 */
export function parseSignal(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_KILL_SIGNAL
  if (/^[0-9]+$/.test(text)) {
    const number = Number(text)
    if (number >= 1 && number <= MAX_SIGNAL) return number
    throw errInvalidSignal(text)
  }
  const upper = text.toUpperCase()
  const name = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as keyof typeof constants.signals
  const number = Object.hasOwn(constants.signals, name) ? constants.signals[name] : undefined
  if (number === undefined) throw errInvalidSignal(text)
  return number
}

function errInvalidSignal(text: string): DexecError {
  return new DexecError(
    'INVALID_PARAMETER',
    `invalid signal: ${text}: expected a name such as TERM or SIGTERM, or a number from 1 to ${MAX_SIGNAL}`,
  )
}
