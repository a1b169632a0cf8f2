import { setTimeout as sleep } from 'node:timers/promises'

/** Polls `check` until it returns true, or fails after `timeoutMs` naming `what`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${options.what}`)
    }
    await sleep(options.intervalMs ?? 50)
  }
}
