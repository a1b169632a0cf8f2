import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, it } from 'vitest'

import { compareSides } from './compare.js'
import { eventLine } from './expected.js'
import { startConformanceStack, type ConformanceStack } from './stack.js'

let stack: ConformanceStack

beforeAll(async () => {
  stack = await startConformanceStack()
})

afterAll(async () => {
  await stack?.stop()
})

const MiB = 1024 * 1024

/** Builds a shell command that writes `bytes` bytes of a repeating line to stdout or stderr. */
function produce(bytes: number, stream: 'stdout' | 'stderr' = 'stdout'): string[] {
  const redirect = stream === 'stderr' ? ' >&2' : ''
  return ['sh', '-c', `yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c ${bytes}${redirect}`]
}

describe('conformance, large outputs', () => {
  it.each([
    ['1 MiB - 1 on stdout', MiB - 1, 'stdout'],
    ['1 MiB on stdout', MiB, 'stdout'],
    ['1 MiB + 1 on stdout', MiB + 1, 'stdout'],
    ['1 MiB + 1 on stderr', MiB + 1, 'stderr'],
    ['16 MiB + 1 on stdout', 16 * MiB + 1, 'stdout'],
  ] as const)('delivers %s', async (_doc, bytes, stream) => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        AttachStdout: true,
        AttachStderr: true,
        Cmd: produce(bytes, stream),
      })
      await probe.run('start', id!)
      await probe.inspectExec('inspect', id!)
    })
  })

  it('delivers 1 MiB + 1 through a TTY', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        AttachStdout: true,
        Tty: true,
        Cmd: produce(MiB + 1),
      })
      await probe.run('start', id!, { body: { Detach: false, Tty: true } })
      await probe.inspectExec('inspect', id!)
    })
  })

  it('delivers stdout and stderr written together', async () => {
    await compareSides(stack, async (probe) => {
      const cmd = ['sh', '-c', `${produce(MiB + 1)[2]} & ${produce(MiB - 1, 'stderr')[2]}; wait`]
      const id = await probe.createExec('create', {
        AttachStdout: true,
        AttachStderr: true,
        Cmd: cmd,
      })
      await probe.run('start', id!)
      await probe.inspectExec('inspect', id!)
    })
  })

  it('echoes 1 MiB of stdin back', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        AttachStdin: true,
        AttachStdout: true,
        Cmd: ['cat'],
      })
      await probe.run('start', id!, { stdin: Buffer.alloc(MiB + 1, 'z'), closeWrite: true })
      await probe.inspectExec('inspect', id!)
    })
  })
})

describe('conformance, client disconnect', () => {
  // The process writes now and then: a server only learns that a unix socket peer is gone, and
  // not just half-closed, when a write to it fails.
  const ticking = ['sh', '-c', 'echo ready; for i in $(seq 1 30); do echo tick; sleep 0.1; done']
  const action = ticking.join(' ')
  // The brackets keep the pattern from matching the command line of this check itself.
  const alive = ['sh', '-c', "pgrep -f 'do echo tic[k]' >/dev/null && echo alive || echo gone"]
  const spec = 'spec 13, attached client gone'

  it('kills the process when the attached client goes away', async () => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', { AttachStdout: true, Cmd: ticking })
        const attached = await probe.attach('start', id!)
        await attached.waitForOutput('ready')
        attached.start.socket.destroy()
        await sleep(1_000)
        await probe.inspectExec('inspect', id!)
        await probe.containerExecIds('container')
        const check = await probe.createExec('check', { AttachStdout: true, Cmd: alive })
        await probe.run('process', check!)
        await probe.events('events')
      },
      [
        // dockerd marks the exec failed (126) when a write to the client fails and closes its
        // stdio, so the process dies of SIGPIPE on its next write, without an exec_die event.
        {
          key: 'inspect.body',
          spec,
          part: { dockerd: '"ExitCode":126,', dexec: '"ExitCode":137,' },
        },
        {
          key: 'events.events',
          spec,
          dockerd: [
            eventLine(`exec_create: ${action}`),
            eventLine(`exec_start: ${action}`),
            eventLine(`exec_create: ${alive.join(' ')}`, { exec: '<exec-2>' }),
            eventLine(`exec_start: ${alive.join(' ')}`, { exec: '<exec-2>' }),
            eventLine('exec_die', { exec: '<exec-2>', attributes: { exitCode: '0' } }),
          ],
          dexec: [
            eventLine(`exec_create: ${action}`),
            eventLine(`exec_start: ${action}`),
            eventLine('exec_die', { attributes: { exitCode: '137' } }),
            eventLine(`exec_create: ${alive.join(' ')}`, { exec: '<exec-2>' }),
            eventLine(`exec_start: ${alive.join(' ')}`, { exec: '<exec-2>' }),
            eventLine('exec_die', { exec: '<exec-2>', attributes: { exitCode: '0' } }),
          ],
        },
      ],
    )
  })
})
