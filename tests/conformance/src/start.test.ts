import { afterAll, beforeAll, describe, it } from 'vitest'

import { compareSides, type ExpectedDifference } from './compare.js'
import { errorBody, JSON_HEADERS, UPGRADED_HEAD } from './expected.js'
import { startConformanceStack, type ConformanceStack } from './stack.js'

let stack: ConformanceStack

beforeAll(async () => {
  stack = await startConformanceStack()
})

afterAll(async () => {
  await stack?.stop()
})

const attachAll = { AttachStdout: true, AttachStderr: true }

/** Start failures end with 126 on dockerd 20.10 and with current moby's mapping on dexec. */
function startFailureCode(dexecCode: number): ExpectedDifference[] {
  return [
    {
      key: 'inspect.body',
      spec: 'spec 11, Start-failure ExitCode; spec 13, start failure exit code',
      part: { dockerd: '"ExitCode":126', dexec: `"ExitCode":${dexecCode}` },
    },
  ]
}

interface ExitCase {
  doc: string
  cmd: string[]
  differences?: ExpectedDifference[]
}

const exitCases: ExitCase[] = [
  { doc: '0 for success', cmd: ['true'] },
  { doc: '3 from exit 3', cmd: ['sh', '-c', 'exit 3'] },
  { doc: '126 for a file without execute permission', cmd: ['/etc/passwd'] },
  { doc: '126 for a directory', cmd: ['/tmp'] },
  {
    doc: 'the start failure code for a missing binary',
    cmd: ['nosuch'],
    differences: startFailureCode(127),
  },
  {
    doc: 'the start failure code for a missing path',
    cmd: ['/nonexistent'],
    differences: startFailureCode(127),
  },
  { doc: '137 for SIGKILL', cmd: ['sh', '-c', 'kill -KILL $$'] },
  { doc: '143 for SIGTERM', cmd: ['sh', '-c', 'kill -TERM $$'] },
  { doc: '130 for SIGINT', cmd: ['sh', '-c', 'kill -INT $$'] },
  { doc: '127 from a shell that misses a command', cmd: ['sh', '-c', 'nosuch'] },
]

describe('conformance, exit codes', () => {
  it.each(exitCases.map((c) => [c.doc, c] as const))('reports %s', async (_doc, c) => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', { ...attachAll, Cmd: c.cmd })
        await probe.run('start', id!)
        await probe.inspectExec('inspect', id!)
        await probe.events('events')
      },
      c.differences,
    )
  })
})

describe('conformance, attached streams', () => {
  it('keeps stdout and stderr apart', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        Cmd: ['sh', '-c', 'echo out; echo err >&2; echo out2'],
      })
      await probe.run('start', id!)
    })
  })

  it('sends only the streams attached at create', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        AttachStderr: true,
        Cmd: ['sh', '-c', 'echo out; echo err >&2'],
      })
      await probe.run('start', id!)
    })
  })

  it('sends nothing for an exec with no stream attached', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        Cmd: ['sh', '-c', 'echo out; echo err >&2; sleep 1'],
      })
      const started = Date.now()
      await probe.run('start', id!)
      probe.record('start.ended after the process', Date.now() - started >= 900)
      await probe.inspectExec('inspect', id!)
    })
  })

  it('answers 200 with a raw stream without Upgrade headers', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        Cmd: ['sh', '-c', 'echo out; echo err >&2'],
      })
      await probe.run('start', id!, { upgrade: false })
    })
  })

  it('drops stderr when the start asks for a TTY', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        Cmd: ['sh', '-c', 'echo out; echo err >&2'],
      })
      await probe.run('start', id!, { body: { Detach: false, Tty: true } })
    })
  })

  it('passes stdin and its half-close to the process', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        AttachStdin: true,
        Cmd: ['sh', '-c', 'cat; echo done'],
      })
      await probe.run('start', id!, { stdin: 'hello\nworld\n', closeWrite: true })
      await probe.inspectExec('inspect', id!)
    })
  })

  it('echoes each stdin write while the stream is open', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { ...attachAll, AttachStdin: true, Cmd: ['cat'] })
      const attached = await probe.attach('start', id!)
      attached.write('one\n')
      await attached.waitForOutput('one\n')
      attached.write('two\n')
      await attached.waitForOutput('two\n')
      attached.closeWrite()
      await attached.finish()
    })
  })

  it('gives a process without attached stdin an immediate EOF', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        Cmd: ['sh', '-c', 'cat; echo eof'],
      })
      await probe.run('start', id!, { stdin: 'ignored\n' })
      await probe.inspectExec('inspect', id!)
    })
  })

  it('counts stdin bytes up to the half-close', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        AttachStdin: true,
        Cmd: ['wc', '-c'],
      })
      await probe.run('start', id!, { stdin: Buffer.alloc(200_000, 'x'), closeWrite: true })
    })
  })
})

describe('conformance, start twice', () => {
  const twice: Array<[doc: string, first: boolean, second: boolean]> = [
    ['attached, then attached', false, false],
    ['attached, then detached', false, true],
    ['detached, then attached', true, false],
    ['detached, then detached', true, true],
  ]

  it.each(twice)(
    'rejects a second start of a running exec, %s',
    async (_doc, firstDetached, secondDetached) => {
      const running = (id: string) => `exec command ${id} is already running`
      await compareSides(
        stack,
        async (probe) => {
          const id = await probe.createExec('create', {
            ...attachAll,
            Cmd: ['sh', '-c', 'echo ready; sleep 1'],
          })
          const first = firstDetached ? undefined : await probe.attach('first', id!)
          if (first) await first.waitForOutput('ready')
          else await probe.request('first', 'POST', `/exec/${id}/start`, { body: { Detach: true } })
          await probe.waitForExec(
            id!,
            (inspect) => inspect.Running === true && inspect.Pid !== 0,
            'to run',
          )
          if (secondDetached)
            await probe.request('second', 'POST', `/exec/${id}/start`, { body: { Detach: true } })
          else await probe.run('second', id!)
          await first?.finish()
        },
        alreadyDifference(secondDetached, running('<exec-1>')),
      )
    },
  )

  it.each(twice)(
    'rejects a start of a finished exec, %s',
    async (_doc, firstDetached, secondDetached) => {
      await compareSides(
        stack,
        async (probe) => {
          const id = await probe.createExec('create', { ...attachAll, Cmd: ['true'] })
          if (firstDetached)
            await probe.request('first', 'POST', `/exec/${id}/start`, { body: { Detach: true } })
          else await probe.run('first', id!)
          await probe.waitForExec(id!, (inspect) => inspect.Running === false, 'to finish')
          if (secondDetached)
            await probe.request('second', 'POST', `/exec/${id}/start`, { body: { Detach: true } })
          else await probe.run('second', id!)
          await probe.inspectExec('inspect', id!)
        },
        alreadyDifference(secondDetached, 'exec command <exec-1> has already run'),
      )
    },
  )
})

/** dockerd 20.10 prefixes the conflict texts with `Error: Exec command`; current moby does not. */
function alreadyDifference(detached: boolean, dexecText: string): ExpectedDifference[] {
  const dockerdText = `Error: E${dexecText.slice(1)}`
  const spec = 'spec 11, Already ran / running'
  if (detached)
    return [{ key: 'second.body', spec, part: { dockerd: dockerdText, dexec: dexecText } }]
  return [{ key: 'second.stdout', spec, part: { dockerd: dockerdText, dexec: dexecText } }]
}

describe('conformance, detached start', () => {
  it('answers 200 with an empty body and runs the process', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { Cmd: ['sh', '-c', 'sleep 0.5'] })
      await probe.request('start', 'POST', `/exec/${id}/start`, { body: { Detach: true } })
      await probe.inspectExec('running', id!)
      await probe.waitForExec(id!, (inspect) => inspect.Running === false, 'to finish')
      await probe.inspectExec('finished', id!)
      await probe.events('events')
    })
  })

  it('answers 200 even with Upgrade headers', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { ...attachAll, Cmd: ['sh', '-c', 'echo out'] })
      await probe.run('start', id!, { body: { Detach: true } })
      await probe.waitForExec(id!, (inspect) => inspect.Running === false, 'to finish')
      await probe.inspectExec('inspect', id!)
    })
  })

  it('answers a start failure with a JSON error', async () => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', { Cmd: ['/nonexistent'] })
        await probe.request('start', 'POST', `/exec/${id}/start`, { body: { Detach: true } })
        await probe.inspectExec('inspect', id!)
        await probe.events('events')
      },
      startFailureCode(127),
    )
  })
})

describe('conformance, start errors', () => {
  const unknown = 'f'.repeat(64)

  it.each([
    ['attached', true],
    ['without Upgrade headers', false],
  ])('answers an unknown exec id with 404, %s', async (_doc, upgrade) => {
    await compareSides(stack, async (probe) => {
      await probe.run('start', unknown, { upgrade })
    })
  })

  it('answers an unknown exec id with 404, detached', async () => {
    await compareSides(stack, async (probe) => {
      await probe.request('start', 'POST', `/exec/${unknown}/start`, { body: { Detach: true } })
    })
  })

  it('does not find an exec by an id prefix', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { Cmd: ['true'] })
      probe.normalizer.registerAlias(id!.slice(0, 12), '<exec-1 prefix>')
      await probe.request('start', 'POST', `/exec/${id!.slice(0, 12)}/start`, {
        body: { Detach: true },
      })
    })
  })

  it('rejects a start body with a wrong Content-Type', async () => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', { Cmd: ['true'] })
        await probe.request('start', 'POST', `/exec/${id}/start`, {
          body: '{"Detach":true}',
          headers: { 'Content-Type': 'text/plain' },
        })
      },
      [
        {
          key: 'start.body',
          spec: 'spec 11, Wrong Content-Type',
          part: {
            dockerd: "Content-Type specified (text/plain) must be 'application/json'",
            dexec: "unsupported Content-Type header (text/plain): must be 'application/json'",
          },
        },
      ],
    )
  })

  it('treats an empty start body as an attached start', async () => {
    const spec = 'spec 11, Empty body on create/start'
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', { AttachStdout: true, Cmd: ['echo', 'hi'] })
        await probe.run('start', id!, { body: '' })
        await probe.inspectExec('inspect', id!)
      },
      [
        { key: 'start.status', spec, dockerd: '400 Bad Request', dexec: '101 UPGRADED' },
        { key: 'start.headers', spec, dockerd: JSON_HEADERS, dexec: UPGRADED_HEAD },
        {
          key: 'start.output',
          spec,
          dockerd: errorBody('got EOF while reading request body'),
          dexec: undefined,
        },
        { key: 'start.stdout', spec, dockerd: undefined, dexec: 'hi\n' },
        { key: 'start.stderr', spec, dockerd: undefined, dexec: '' },
        { key: 'start.framing', spec, dockerd: undefined, dexec: null },
        {
          key: 'inspect.body',
          spec,
          part: { dockerd: '"ExitCode":null,', dexec: '"ExitCode":0,' },
        },
        { key: 'inspect.body', spec, part: { dockerd: '"Pid":0}', dexec: '"Pid":"<pid>"}' } },
      ],
    )
  })

  it('rejects a start body that is not JSON', async () => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', { Cmd: ['true'] })
        await probe.request('start', 'POST', `/exec/${id}/start`, {
          body: '{"Detach":',
          headers: { 'Content-Type': 'application/json' },
        })
        await probe.containerExecIds('container')
      },
      [
        {
          key: 'start.body',
          spec: 'spec 11, Bad JSON',
          part: { dockerd: '"unexpected EOF"', dexec: '"invalid JSON: unexpected EOF"' },
        },
      ],
    )
  })
})
