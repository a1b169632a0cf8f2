import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { waitFor } from '@dexec/testkit'
import { describe, expect, it } from 'vitest'

import { createExec, inspectExec } from './exec-api.js'
import { hijackStart } from './hijack.js'

const demoPath = fileURLToPath(new URL('../../../scripts/demo.mjs', import.meta.url))

describe('e2e, the demo', () => {
  // A terminal's Ctrl-C signals the whole foreground process group: the demo, and dexec and
  // containerd unless they have groups of their own.
  it('kills the processes of attached execs and stops everything on Ctrl-C', async () => {
    const demo = spawn(process.execPath, [demoPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)))
    let output = ''
    demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    demo.stderr!.resume()
    try {
      const ready = () => /export DOCKER_HOST=unix:\/\/\S+/.test(output)
      await waitFor(ready, { timeoutMs: 60_000, what: 'the demo to print DOCKER_HOST' })
      const socketPath = /export DOCKER_HOST=unix:\/\/(\S+)/.exec(output)![1]!
      const containerdDir = /containerd: (\S+)\/containerd\.sock/.exec(output)![1]!
      const id = await createExec(socketPath, 'demo', { AttachStdout: true, Cmd: ['sleep', '1000'] })
      const hijacked = await hijackStart(socketPath, id)
      let pid = 0
      await waitFor(
        async () => {
          pid = (await inspectExec(socketPath, id)).Pid
          return pid > 0
        },
        { what: 'the exec to run' },
      )
      process.kill(-demo.pid!, 'SIGINT')
      expect(await exited).toBe(0)
      hijacked.socket.destroy()
      expect(output).toContain('stopped dexec and containerd')
      expect(existsSync(`/proc/${pid}`)).toBe(false)
      expect(existsSync(containerdDir)).toBe(false)
    } finally {
      if (demo.exitCode === null && demo.signalCode === null) process.kill(-demo.pid!, 'SIGTERM')
    }
  }, 90_000)
})
