import { afterAll, beforeAll, describe, it } from 'vitest'

import { compareSides, type ExpectedDifference } from './compare.js'
import { startConformanceStack, type ConformanceStack } from './stack.js'

let stack: ConformanceStack

beforeAll(async () => {
  stack = await startConformanceStack()
  await stack.addContainer('stopped')
  await stack.killContainer('stopped')
  await stack.addContainer('unstarted', { running: false })
  await stack.addContainer('paused')
})

afterAll(async () => {
  await stack?.stop()
})

const json = { 'Content-Type': 'application/json' }

interface CreateCase {
  doc: string
  body: string
  headers?: Record<string, string>
  container?: string
  differences?: ExpectedDifference[]
}

/** The create response differs only in its body text; status and headers must match. */
function bodyDifference(spec: string, dockerd: string, dexec: string): ExpectedDifference[] {
  return [
    {
      key: 'create.body',
      spec,
      dockerd: `${JSON.stringify({ message: dockerd })}\n`,
      dexec: `${JSON.stringify({ message: dexec })}\n`,
    },
  ]
}

/**
 * dockerd 20.10 returns the decoder text for its ExecConfig struct; current moby prefixes it
 * with `invalid JSON: ` and names its ExecCreateRequest struct.
 */
function typeError(field: string, type: string): ExpectedDifference[] {
  const text = (struct: string) =>
    `json: cannot unmarshal string into Go struct field ${struct}.${field} of type ${type}`
  const spec = 'spec 11, Type errors in bodies'
  return bodyDifference(spec, text('ExecConfig'), `invalid JSON: ${text('ExecCreateRequest')}`)
}

const createErrors: CreateCase[] = [
  { doc: 'a body without Cmd', body: '{"AttachStdout":true}' },
  { doc: 'an empty Cmd', body: '{"Cmd":[]}' },
  { doc: 'a null Cmd', body: '{"Cmd":null}' },
  { doc: 'the JSON literal null', body: 'null' },
  {
    doc: 'a truncated JSON body',
    body: '{"Cmd": [',
    differences: bodyDifference(
      'spec 11, Bad JSON',
      'unexpected EOF',
      'invalid JSON: unexpected EOF',
    ),
  },
  {
    doc: 'Cmd given as a string',
    body: '{"Cmd":"ls"}',
    differences: typeError('Cmd', '[]string'),
  },
  {
    doc: 'Tty given as a string',
    body: '{"Cmd":["ls"],"Tty":"yes"}',
    differences: typeError('Tty', 'bool'),
  },
  {
    doc: 'Env given as a string',
    body: '{"Cmd":["ls"],"Env":"A=1"}',
    differences: typeError('Env', '[]string'),
  },
  {
    doc: 'a wrong Content-Type',
    body: '{"Cmd":["ls"]}',
    headers: { 'Content-Type': 'text/plain' },
    differences: bodyDifference(
      'spec 11, Wrong Content-Type',
      "Content-Type specified (text/plain) must be 'application/json'",
      "unsupported Content-Type header (text/plain): must be 'application/json'",
    ),
  },
  { doc: 'a missing container', body: '{"Cmd":["ls"]}', container: 'nosuch' },
  {
    doc: 'a stopped container',
    body: '{"Cmd":["ls"]}',
    container: 'stopped',
    differences: bodyDifference(
      'spec 11, Container not running (create)',
      'Container <container:stopped> is not running',
      'container <container:stopped> is not running',
    ),
  },
  {
    doc: 'a container that never started',
    body: '{"Cmd":["ls"]}',
    container: 'unstarted',
    differences: bodyDifference(
      'spec 11, Container not running (create)',
      'Container <container:unstarted> is not running',
      'container <container:unstarted> is not running',
    ),
  },
  {
    doc: 'invalid DetachKeys',
    body: '{"Cmd":["ls"],"DetachKeys":"ctrl-A"}',
    differences: [
      {
        key: 'create.status',
        spec: 'spec 13, invalid DetachKeys at create',
        dockerd: '500 Internal Server Error',
        dexec: '400 Bad Request',
      },
    ],
  },
  {
    doc: 'DetachKeys with an empty element',
    body: '{"Cmd":["ls"],"DetachKeys":"a,,b"}',
    differences: [
      {
        key: 'create.status',
        spec: 'spec 13, invalid DetachKeys at create',
        dockerd: '500 Internal Server Error',
        dexec: '400 Bad Request',
      },
    ],
  },
]

describe('conformance, exec create errors', () => {
  it.each(createErrors.map((c) => [c.doc, c] as const))('rejects %s', async (_doc, c) => {
    await compareSides(
      stack,
      async (probe) => {
        await probe.createExec('create', c.body, {
          container: c.container,
          headers: c.headers ?? json,
        })
      },
      c.differences,
    )
  })

  it('rejects an empty body', async () => {
    await compareSides(
      stack,
      async (probe) => {
        await probe.createExec('create', '', { headers: json })
      },
      bodyDifference(
        'spec 11, Empty body on create/start',
        'got EOF while reading request body',
        'No exec command specified',
      ),
    )
  })

  it('rejects trailing data after the object only on dexec', async () => {
    await compareSides(
      stack,
      async (probe) => {
        await probe.createExec('create', '{"Cmd":["ls"]} {}')
      },
      [
        {
          key: 'create.status',
          spec: 'spec 11, Bad JSON (trailing data rejected)',
          dockerd: '201 Created',
          dexec: '400 Bad Request',
        },
        {
          key: 'create.body',
          spec: 'spec 11, Bad JSON (trailing data rejected)',
          dockerd: '{"Id":"<exec-1>"}\n',
          dexec: `${JSON.stringify({ message: 'unexpected content after JSON' })}\n`,
        },
      ],
    )
  })
})

describe('conformance, paused container', () => {
  it('rejects create, start and resize but answers inspect', async () => {
    await compareSides(stack, async (probe) => {
      const tty = { AttachStdout: true, AttachStdin: true, Tty: true }
      const created = await probe.createExec('create', { Cmd: ['true'] }, { container: 'paused' })
      const running = await probe.createExec(
        'running',
        { ...tty, Cmd: ['cat'] },
        { container: 'paused' },
      )
      const attached = await probe.attach('start-running', running!, { body: { Tty: true } })
      await probe.waitForExec(running!, (inspect) => inspect.Pid !== 0, 'to run')
      await probe.side.pauseContainer('paused', true)
      try {
        await probe.createExec('create-paused', { Cmd: ['true'] }, { container: 'paused' })
        const detached = { body: { Detach: true } }
        await probe.request('start-paused', 'POST', `/exec/${created}/start`, detached)
        await probe.run('attach-paused', created!)
        await probe.request('resize-paused', 'POST', `/exec/${running}/resize?h=10&w=10`)
        await probe.inspectExec('inspect-paused', created!)
      } finally {
        await probe.side.pauseContainer('paused', false)
      }
      attached.write('\x04')
      await attached.finish()
    })
  })
})

describe('conformance, exec create accepted', () => {
  it('finds the container by its full id', async () => {
    await compareSides(stack, async (probe) => {
      const container = probe.side.containers.get('demo')!.id
      await probe.createExec('create', { Cmd: ['true'] }, { container })
    })
  })

  it('finds the container by a unique id prefix', async () => {
    await compareSides(stack, async (probe) => {
      const container = probe.side.containers.get('demo')!.id.slice(0, 12)
      probe.normalizer.registerAlias(container, '<demo id prefix>')
      await probe.createExec('create', { Cmd: ['true'] }, { container })
    })
  })

  it('answers 201 with the exec id', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', { Cmd: ['ls'], AttachStdout: true })
      await probe.inspectExec('inspect', id!)
    })
  })

  it('accepts a Content-Type with a charset', async () => {
    await compareSides(stack, async (probe) => {
      await probe.createExec('create', '{"Cmd":["ls"]}', {
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
      })
    })
  })

  it('matches keys case-insensitively and ignores unknown keys', async () => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec(
        'create',
        '{"cmd":["ls","-l"],"attachstdout":true,"tty":true,"Bogus":1}',
      )
      await probe.inspectExec('inspect', id!)
    })
  })

  it('accepts an empty string as Cmd and fails at start', async () => {
    await compareSides(
      stack,
      async (probe) => {
        const id = await probe.createExec('create', { Cmd: [''], AttachStdout: true })
        await probe.run('start', id!)
        await probe.inspectExec('inspect', id!)
        await probe.events('events')
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

  it.each([
    ['ctrl-p,ctrl-q'],
    ['ctrl-x'],
    ['a,b'],
    ['DEL'],
    ['ctrl-@,ctrl-_'],
    ['ctrl-\\,ctrl-]'],
    [''],
  ])('stores DetachKeys %j as bytes', async (keys) => {
    await compareSides(stack, async (probe) => {
      const id = await probe.createExec('create', {
        Cmd: ['ls'],
        Tty: true,
        AttachStdin: true,
        DetachKeys: keys,
      })
      await probe.inspectExec('inspect', id!)
    })
  })
})
