import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, beforeAll, describe, it } from 'vitest'

import { compareSides, type ExpectedDifference } from './compare.js'
import { responseDifference } from './expected.js'
import { startConformanceStack, type ConformanceStack } from './stack.js'

let stack: ConformanceStack

beforeAll(async () => {
  stack = await startConformanceStack()
  await stack.addContainer('tracked')
})

afterAll(async () => {
  await stack?.stop()
})

const attachAll = { AttachStdout: true, AttachStderr: true }
const running = (inspect: Record<string, unknown>) => inspect.Running === true && inspect.Pid !== 0
const finished = (inspect: Record<string, unknown>) => inspect.Running === false

describe('conformance, exec inspect', () => {
  it('shows a created exec', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        AttachStdin: true,
        Tty: true,
        Privileged: true,
        User: 'alice',
        DetachKeys: 'ctrl-x',
        Cmd: ['sh', '-c', 'exit 0', 'arg one'],
      })
      await probe.inspectExec('inspect', id!)
    })
  })

  it('shows a running exec, then the finished one', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        Cmd: ['sh', '-c', 'echo ready; sleep 1; exit 5'],
      })
      const attached = await probe.attach('start', id!)
      await attached.waitForOutput('ready')
      // dockerd 20.10 can stream output before it has stored the pid, so its
      // inspect is read once the pid is there (dexec has it before the start returns).
      await probe.waitForExec(id!, (inspect) => inspect.Pid !== 0, 'to have a pid')
      await probe.inspectExec('running', id!)
      await attached.finish()
      await probe.inspectExec('finished', id!)
    })
  })

  it('answers an unknown exec id with 404', async () => {
    await compareSides(stack, async (probe) => {
      await probe.inspectExec('inspect', '0'.repeat(64))
    })
  })
})

describe('conformance, ExecIDs of the container', () => {
  it('lists an exec from create until it exits', async () => {
    await compareSides(stack, async (probe) => {
      await probe.containerExecIds('before', 'tracked')
      const id = await probe.createExec(
        'create',
        { ...attachAll, Cmd: ['sh', '-c', 'echo ready; sleep 1'] },
        { container: 'tracked' },
      )
      await probe.containerExecIds('created', 'tracked')
      const attached = await probe.attach('start', id!)
      await attached.waitForOutput('ready')
      await probe.containerExecIds('running', 'tracked')
      await attached.finish()
      await probe.waitForExec(id!, finished, 'to finish')
      await probe.containerExecIds('finished', 'tracked')
    })
  })

  it('removes an exec whose start failed', async () => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec(
          'create',
          { ...attachAll, Cmd: ['/nonexistent'] },
          { container: 'tracked' },
        )
        await probe.run('start', id!)
        await probe.containerExecIds('failed', 'tracked')
        await probe.inspectExec('inspect', id!)
      },
      [
        {
          key: 'inspect.body',
          spec: 'spec 11, Start-failure ExitCode; spec 13, start failure exit code',
          part: { dockerd: '"ExitCode":126', dexec: '"ExitCode":127' },
        },
      ],
    )
  })

  it('keeps an exec that never started', async () => {
    await compareSides(stack, async (probe) => {
      await probe.createExec('create', { Cmd: ['true'] }, { container: 'tracked' })
      await probe.createExec('second', { Cmd: ['true'] }, { container: 'tracked' })
      await probe.containerExecIds('listed', 'tracked')
    })
  })
})

describe('conformance, exec events', () => {
  it.each([
    ['an attached exec', false, ['sh', '-c', 'exit 3']],
    ['a detached exec', true, ['sh', '-c', 'exit 3']],
    ['a one-word command', false, ['true']],
    ['arguments with spaces', false, ['echo', 'a b', '', 'c']],
  ])('reports create, start and die of %s', async (_doc, detached, cmd) => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { ...attachAll, Cmd: cmd })
      if (detached)
        await probe.request('start', 'POST', `/exec/${id}/start`, { body: { Detach: true } })
      else await probe.run('start', id!)
      await probe.waitForExec(id!, finished, 'to finish')
      await probe.events('events')
    })
  })

  it('reports only create for an exec never started', async () => {
    await compareSides(stack, async (probe) => {
      await probe.createExec('create', { Cmd: ['true'] })
      await probe.events('events')
    })
  })

  it('reports the exit code of a killed exec', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        Cmd: ['sh', '-c', 'kill -KILL $$'],
      })
      await probe.run('start', id!)
      await probe.events('events')
    })
  })
})

describe('conformance, resize', () => {
  it('resizes a running TTY exec', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        AttachStdin: true,
        Tty: true,
        Cmd: ['sh', '-c', 'echo ready; read x; stty size'],
      })
      const attached = await probe.attach('start', id!, { body: { Detach: false, Tty: true } })
      await attached.waitForOutput('ready')
      await probe.request('resize', 'POST', `/exec/${id}/resize?h=40&w=120`)
      attached.write('\n')
      await attached.finish()
    })
  })

  it('resizes a running exec without a TTY', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        ...attachAll,
        Cmd: ['sh', '-c', 'echo ready; sleep 1'],
      })
      const attached = await probe.attach('start', id!)
      await attached.waitForOutput('ready')
      await probe.request('resize', 'POST', `/exec/${id}/resize?h=40&w=120`)
      await attached.finish()
    })
  })

  it('rejects a resize of a finished exec', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { ...attachAll, Tty: true, Cmd: ['true'] })
      await probe.run('start', id!, { body: { Detach: false, Tty: true } })
      await probe.waitForExec(id!, finished, 'to finish')
      // Both servers delete the containerd process shortly after they report the exit.
      await sleep(500)
      await probe.request('resize', 'POST', `/exec/${id}/resize?h=40&w=120`)
    })
  })

  it('keeps the resize of an exec never started for its start', async () => {
    const decision = 'docs/docker-differences.md, resize before start'
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', { ...attachAll, Tty: true, Cmd: ['true'] })
        const started = Date.now()
        await probe.request('resize', 'POST', `/exec/${id}/resize?h=40&w=120`)
        probe.record('resize.waited 9 s or more', Date.now() - started >= 9_000)
      },
      [
        ...responseDifference(
          'resize',
          decision,
          { status: '500 Internal Server Error', message: 'timeout waiting for exec session ready' },
          { status: '200 OK' },
        ),
        { key: 'resize.waited 9 s or more', spec: decision, dockerd: true, dexec: false },
      ],
    )
  })

  it('answers an unknown exec id with 404', async () => {
    await compareSides(stack, async (probe) => {
      await probe.request('resize', 'POST', `/exec/${'1'.repeat(64)}/resize?h=40&w=120`)
    })
  })

  const resizeSpec = 'spec 11, Resize parameters'
  const outOfRange = (value: string) =>
    responseDifference(
      'resize',
      resizeSpec,
      { status: '200 OK' },
      {
        status: '400 Bad Request',
        message: `invalid resize height "${value}": value out of range`,
      },
    )
  const parameters: Array<[doc: string, query: string, differences: ExpectedDifference[]]> = [
    [
      'a height that is not a number',
      'h=abc&w=80',
      [
        {
          key: 'resize.body',
          spec: resizeSpec,
          part: {
            dockerd: 'strconv.Atoi: parsing \\"abc\\"',
            dexec: 'invalid resize height \\"abc\\"',
          },
        },
      ],
    ],
    [
      'a width that is not a number',
      'h=40&w=abc',
      [
        {
          key: 'resize.body',
          spec: resizeSpec,
          part: {
            dockerd: 'strconv.Atoi: parsing \\"abc\\"',
            dexec: 'invalid resize width \\"abc\\"',
          },
        },
      ],
    ],
    [
      'a missing width',
      'h=40',
      [
        {
          key: 'resize.body',
          spec: `${resizeSpec}; current moby rejects a missing value as well`,
          part: {
            dockerd: 'strconv.Atoi: parsing \\"\\"',
            dexec: 'invalid resize width \\"\\"',
          },
        },
      ],
    ],
    ['a negative height', 'h=-1&w=80', outOfRange('-1')],
    ['a height of 2^32', 'h=4294967296&w=80', outOfRange('4294967296')],
  ]

  it.each(parameters)('handles %s', async (_doc, query, differences) => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', {
          ...attachAll,
          AttachStdin: true,
          Tty: true,
          Cmd: ['sh', '-c', 'echo ready; read x'],
        })
        const attached = await probe.attach('start', id!, { body: { Detach: false, Tty: true } })
        await attached.waitForOutput('ready')
        await probe.request('resize', 'POST', `/exec/${id}/resize?${query}`)
        attached.write('\n')
        await attached.finish()
      },
      differences,
    )
  })
})

describe('conformance, execs of a stopped container', () => {
  it('forgets the unfinished execs when the container stops', async () => {
    await stack.addContainer('stopping')
    const container = { container: 'stopping' }
    const detached = { body: { Detach: true } }
    await compareSides(
      stack,
      async (probe) => {
        const created = await probe.createExec('created', { Cmd: ['true'] }, container)
        const started = await probe.createExec('started', { Cmd: ['sleep', '30'] }, container)
        const done = await probe.createExec('done', { Cmd: ['true'] }, container)
        await probe.request('start-started', 'POST', `/exec/${started}/start`, detached)
        await probe.request('start-done', 'POST', `/exec/${done}/start`, detached)
        await probe.waitForExec(done!, finished, 'to finish')
        await probe.waitForExec(started!, running, 'to run')
        await probe.side.killContainer('stopping')
        await probe.inspectExec('inspect-created', created!)
        await probe.inspectExec('inspect-started', started!)
        await probe.inspectExec('inspect-done', done!)
        await probe.request('start-created', 'POST', `/exec/${created}/start`, detached)
        await probe.request('resize-started', 'POST', `/exec/${started}/resize?h=40&w=120`)
        await probe.containerExecIds('container', 'stopping')
        await probe.createExec('create-again', { Cmd: ['true'] }, container)
        await probe.events('events', container)
      },
      [
        {
          key: 'create-again.body',
          spec: 'spec 11, Container not running (create)',
          part: {
            dockerd: 'Container <container:stopping>',
            dexec: 'container <container:stopping>',
          },
        },
        ...responseDifference(
          'resize-started',
          'spec 1.2 step 4 (container not running, 20.10 text differs)',
          {
            status: '500 Internal Server Error',
            message:
              'Container <container:stopping> is not running: Exited (137) Less than a second ago',
          },
          { status: '409 Conflict', message: 'container <container:stopping> is not running' },
        ),
      ],
    )
  })
})
