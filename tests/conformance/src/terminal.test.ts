import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, it } from 'vitest'

import { compareSides, type ExpectedDifference } from './compare.js'
import { eventLine } from './expected.js'
import { startConformanceStack, type ConformanceStack } from './stack.js'

let stack: ConformanceStack

beforeAll(async () => {
  stack = await startConformanceStack()
})

afterAll(async () => {
  await stack?.stop()
})

const ttyExec = { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true }
const ttyStart = { body: { Detach: false, Tty: true } }

describe('conformance, TTY output', () => {
  it('turns newlines into CR LF', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...ttyExec,
        AttachStdin: false,
        Cmd: ['sh', '-c', 'echo one; echo two'],
      })
      await probe.run('start', id!, ttyStart)
    })
  })

  it('merges stderr into the terminal', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...ttyExec,
        AttachStdin: false,
        Cmd: ['sh', '-c', 'echo out; echo err >&2'],
      })
      await probe.run('start', id!, ttyStart)
    })
  })

  it('echoes stdin and ends cat on ctrl-d', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { ...ttyExec, Cmd: ['cat'] })
      const attached = await probe.attach('start', id!, ttyStart)
      attached.write('hello\n')
      await attached.waitForOutput('hello\r\nhello\r\n')
      attached.write('\x04')
      await attached.finish()
      await probe.inspectExec('inspect', id!)
    })
  })

  it('runs the process on a terminal', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...ttyExec,
        AttachStdin: false,
        Cmd: ['sh', '-c', 'test -t 0 && test -t 1 && tty >/dev/null && echo terminal'],
      })
      await probe.run('start', id!, ttyStart)
    })
  })

  it('multiplexes a TTY exec started without Tty', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...ttyExec,
        AttachStdin: false,
        Cmd: ['sh', '-c', 'echo out; echo err >&2'],
      })
      await probe.run('start', id!, { body: { Detach: false, Tty: false } })
    })
  })
})

describe('conformance, ConsoleSize at API 1.41', () => {
  it.each([
    ['at create', { ConsoleSize: [30, 100] }, { Detach: false, Tty: true }],
    ['at start', {}, { Detach: false, Tty: true, ConsoleSize: [30, 100] }],
  ])('ignores the size given %s', async (_doc, create, start) => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { ...ttyExec, Cmd: ['stty', 'size'], ...create })
      await probe.run('start', id!, { body: start })
    })
  })
})

describe('conformance, detach keys', () => {
  it.each([
    ['a partial sequence followed by another byte', undefined, '\x10x'],
    ['a repeated first key', undefined, '\x10\x10\x11'],
    ['the default keys when custom ones are set', 'ctrl-x', '\x10\x11'],
    ['the custom first key alone', 'ctrl-x,y', '\x18z'],
  ])('passes on %s', async (_doc, keys, input) => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...ttyExec,
        Cmd: ['cat'],
        ...(keys ? { DetachKeys: keys } : {}),
      })
      const attached = await probe.attach('start', id!, ttyStart)
      attached.write('ready\n')
      await attached.waitForOutput('ready\r\nready\r\n')
      attached.write(input)
      attached.write('\n\x04')
      await attached.finish()
      await probe.inspectExec('inspect', id!)
    })
  })

  it.each([
    ['the default keys', undefined, '\x10\x11'],
    ['custom keys', 'ctrl-x,y', '\x18y'],
    ['keys split across writes', undefined, ['\x10', '\x11']],
  ])('detaches on %s', async (_doc, keys, input) => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', {
          ...ttyExec,
          Cmd: ['cat'],
          ...(keys ? { DetachKeys: keys } : {}),
        })
        const attached = await probe.attach('start', id!, ttyStart)
        attached.write('ready\n')
        await attached.waitForOutput('ready\r\nready\r\n')
        for (const part of [input].flat()) {
          attached.write(part)
          await sleep(50)
        }
        await attached.finish()
        await probe.inspectExec('inspect', id!)
        await probe.containerExecIds('container')
        await probe.events('events')
      },
      detachDifferences,
    )
  })

  it('passes the keys through without a TTY', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        AttachStdin: true,
        AttachStdout: true,
        Cmd: ['cat'],
      })
      await probe.run('start', id!, { stdin: 'a\x10\x11b', closeWrite: true })
      await probe.inspectExec('inspect', id!)
    })
  })
})

/**
 * dockerd turns an escape-key detach into an attach failure: an error text in the stream, exit
 * code 126, and the process torn down with the PTY (its exec_die reports 127). dexec ends the
 * stream cleanly, emits exec_detach and leaves the process running.
 */
const detachSpec = 'spec 13, detach keys typed by a raw API client'
const detachDifferences: ExpectedDifference[] = [
  {
    key: 'start.output',
    spec: detachSpec,
    dockerd:
      'ready\r\nready\r\nexec attach failed: error on attach stdin: read escape sequence\r\n',
    dexec: 'ready\r\nready\r\n',
  },
  {
    key: 'inspect.body',
    spec: detachSpec,
    part: { dockerd: '"Running":false,"ExitCode":126,', dexec: '"Running":true,"ExitCode":null,' },
  },
  { key: 'container.ExecIDs', spec: detachSpec, dockerd: null, dexec: ['<exec-1>'] },
  {
    key: 'events.events',
    spec: detachSpec,
    dockerd: [
      eventLine('exec_create: cat '),
      eventLine('exec_start: cat '),
      eventLine('exec_die', { attributes: { exitCode: '127' } }),
    ],
    dexec: [
      eventLine('exec_create: cat '),
      eventLine('exec_start: cat '),
      eventLine('exec_detach'),
    ],
  },
]
