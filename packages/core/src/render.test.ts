import type { ContainerRecord, ProcessState } from '@dexec/containerd'
import { ExecStore, type ExecConfig, type ExecRecord } from '@dexec/exec-store'
import { describe, expect, it } from 'vitest'

import type { ContainerStatus, ContainerView } from './containers.js'
import { renderContainerInspect, renderContainerSummary, renderExecInspect } from './render.js'

const CONTAINER_ID = 'c'.repeat(64)
const EXEC_ID = 'e'.repeat(64)

const CREATED_AT = new Date('2026-01-02T03:04:05.678Z')

function makeRecord(overrides: Partial<ExecConfig> = {}): ExecRecord {
  return new ExecStore().create(
    {
      containerId: CONTAINER_ID,
      cmd: ['sh', '-c', 'echo hi'],
      env: ['PATH=/bin'],
      user: '',
      workingDir: '',
      tty: false,
      attachStdin: false,
      attachStdout: true,
      attachStderr: true,
      privileged: false,
      detachKeys: Buffer.alloc(0),
      consoleSize: null,
      ...overrides,
    },
    { id: EXEC_ID, now: CREATED_AT },
  )
}

describe('renderExecInspect', () => {
  it('emits fields in Docker order', () => {
    expect(Object.keys(renderExecInspect(makeRecord()))).toEqual([
      'ID',
      'Running',
      'ExitCode',
      'ProcessConfig',
      'OpenStdin',
      'OpenStderr',
      'OpenStdout',
      'CanRemove',
      'ContainerID',
      'DetachKeys',
      'Pid',
      'CreatedAt',
      'TimedOut',
    ])
  })

  it('emits ProcessConfig fields in Docker order', () => {
    const inspect = renderExecInspect(makeRecord({ user: 'alice' }))
    expect(Object.keys(inspect.ProcessConfig)).toEqual([
      'tty',
      'entrypoint',
      'arguments',
      'privileged',
      'user',
    ])
  })

  it('renders a created exec', () => {
    expect(renderExecInspect(makeRecord())).toEqual({
      ID: EXEC_ID,
      Running: false,
      ExitCode: null,
      ProcessConfig: {
        tty: false,
        entrypoint: 'sh',
        arguments: ['-c', 'echo hi'],
        privileged: false,
      },
      OpenStdin: false,
      OpenStderr: true,
      OpenStdout: true,
      CanRemove: false,
      ContainerID: CONTAINER_ID,
      DetachKeys: '',
      Pid: 0,
      CreatedAt: CREATED_AT.toISOString(),
      TimedOut: false,
    })
  })

  it('renders a timed-out exec', () => {
    const record = makeRecord()
    record.start()
    record.markTimedOut()
    expect(renderExecInspect(record).TimedOut).toBe(true)
  })

  it('omits an empty user', () => {
    expect(renderExecInspect(makeRecord({ user: '' })).ProcessConfig).not.toHaveProperty('user')
  })

  it('renders a user as given', () => {
    const config = renderExecInspect(makeRecord({ user: '1000:staff' })).ProcessConfig
    expect(config.user).toBe('1000:staff')
  })

  it('renders [] arguments for a one-element command', () => {
    const config = renderExecInspect(makeRecord({ cmd: ['ls'] })).ProcessConfig
    expect(config.entrypoint).toBe('ls')
    expect(config.arguments).toEqual([])
  })

  it('renders an empty entrypoint', () => {
    const config = renderExecInspect(makeRecord({ cmd: [''] })).ProcessConfig
    expect(config.entrypoint).toBe('')
    expect(config.arguments).toEqual([])
  })

  it('renders tty and privileged', () => {
    const config = renderExecInspect(makeRecord({ tty: true, privileged: true })).ProcessConfig
    expect(config.tty).toBe(true)
    expect(config.privileged).toBe(true)
  })

  it('renders attach flags', () => {
    const inspect = renderExecInspect(
      makeRecord({ attachStdin: true, attachStdout: false, attachStderr: false }),
    )
    expect(inspect.OpenStdin).toBe(true)
    expect(inspect.OpenStdout).toBe(false)
    expect(inspect.OpenStderr).toBe(false)
  })

  const detachKeys: { doc: string; bytes: number[]; expected: string }[] = [
    { doc: 'none', bytes: [], expected: '' },
    { doc: 'ctrl-p,ctrl-q', bytes: [16, 17], expected: 'EBE=' },
    { doc: 'ctrl-x', bytes: [24], expected: 'GA==' },
    { doc: 'a,b,c', bytes: [97, 98, 99], expected: 'YWJj' },
  ]

  it.each(detachKeys)('renders DetachKeys $doc as base64', ({ bytes, expected }) => {
    const inspect = renderExecInspect(makeRecord({ detachKeys: Buffer.from(bytes) }))
    expect(inspect.DetachKeys).toBe(expected)
  })

  it('renders a running exec', () => {
    const record = makeRecord()
    record.start()
    const before = renderExecInspect(record)
    expect(before.Running).toBe(true)
    expect(before.ExitCode).toBeNull()
    expect(before.Pid).toBe(0)
    record.setPid(4321)
    expect(renderExecInspect(record).Pid).toBe(4321)
  })

  it('renders an exited exec with its pid', () => {
    const record = makeRecord()
    record.start()
    record.setPid(4321)
    record.finish(137)
    const inspect = renderExecInspect(record)
    expect(inspect.Running).toBe(false)
    expect(inspect.ExitCode).toBe(137)
    expect(inspect.Pid).toBe(4321)
  })

  it('renders a failed start', () => {
    const record = makeRecord()
    record.start()
    record.failStart(127, 'executable file not found')
    const inspect = renderExecInspect(record)
    expect(inspect.Running).toBe(false)
    expect(inspect.ExitCode).toBe(127)
    expect(inspect.Pid).toBe(0)
  })

  it('renders CanRemove', () => {
    const record = makeRecord()
    record.canRemove = true
    expect(renderExecInspect(record).CanRemove).toBe(true)
  })

  it('serializes like Docker, then the extensions', () => {
    const record = makeRecord({ cmd: ['ls'], detachKeys: Buffer.from([16, 17]) })
    expect(JSON.stringify(renderExecInspect(record))).toBe(
      `{"ID":"${EXEC_ID}","Running":false,"ExitCode":null,` +
        '"ProcessConfig":{"tty":false,"entrypoint":"ls","arguments":[],"privileged":false},' +
        '"OpenStdin":false,"OpenStderr":true,"OpenStdout":true,"CanRemove":false,' +
        `"ContainerID":"${CONTAINER_ID}","DetachKeys":"EBE=","Pid":0,` +
        `"CreatedAt":"2026-01-02T03:04:05.678Z","TimedOut":false}`,
    )
  })
})

function makeView(
  status: ContainerStatus,
  options: { task?: Partial<ProcessState> | null; record?: Partial<ContainerRecord> } = {},
): ContainerView {
  const record: ContainerRecord = {
    id: CONTAINER_ID,
    labels: { 'nerdctl/name': 'web' },
    image: 'docker.io/library/nginx:latest',
    runtime: 'io.containerd.runc.v2',
    spec: {
      hostname: 'web-host',
      process: {
        args: ['nginx', '-g', 'daemon off;'],
        env: ['PATH=/bin'],
        cwd: '/srv',
        terminal: false,
        user: { uid: 0, gid: 0 },
      },
    },
    snapshotter: 'overlayfs',
    snapshotKey: CONTAINER_ID,
    createdAt: new Date('2026-01-02T03:04:05Z'),
    updatedAt: undefined,
    ...options.record,
  }
  const task: ProcessState | null =
    options.task === null
      ? null
      : {
          containerId: CONTAINER_ID,
          id: CONTAINER_ID,
          pid: 999,
          status: 'running',
          terminal: false,
          exitStatus: 0,
          exitedAt: undefined,
          ...options.task,
        }
  return { id: CONTAINER_ID, name: 'web', record, task, status }
}

describe('renderContainerInspect', () => {
  it('renders a running container', () => {
    const inspect = renderContainerInspect(makeView('running'), [EXEC_ID])
    expect(inspect.Id).toBe(CONTAINER_ID)
    expect(inspect.Name).toBe('/web')
    expect(inspect.Path).toBe('nginx')
    expect(inspect.Args).toEqual(['-g', 'daemon off;'])
    expect(inspect.Created).toBe('2026-01-02T03:04:05.000Z')
    expect(inspect.State.Status).toBe('running')
    expect(inspect.State.Running).toBe(true)
    expect(inspect.State.Paused).toBe(false)
    expect(inspect.State.Pid).toBe(999)
    expect(inspect.ExecIDs).toEqual([EXEC_ID])
  })

  it('renders null ExecIDs', () => {
    expect(renderContainerInspect(makeView('running'), null).ExecIDs).toBeNull()
  })

  it('renders a paused container as running', () => {
    const state = renderContainerInspect(makeView('paused'), null).State
    expect(state.Running).toBe(true)
    expect(state.Paused).toBe(true)
  })

  it('renders an exited container', () => {
    const exitedAt = new Date('2026-01-02T04:00:00Z')
    const view = makeView('exited', { task: { status: 'stopped', exitStatus: 3, exitedAt } })
    const state = renderContainerInspect(view, null).State
    expect(state.Running).toBe(false)
    expect(state.Pid).toBe(0)
    expect(state.ExitCode).toBe(3)
    expect(state.FinishedAt).toBe('2026-01-02T04:00:00.000Z')
  })

  it('renders a container without task', () => {
    const state = renderContainerInspect(makeView('created', { task: null }), null).State
    expect(state.Running).toBe(false)
    expect(state.Pid).toBe(0)
    expect(state.ExitCode).toBe(0)
    expect(state.FinishedAt).toBe('0001-01-01T00:00:00Z')
  })

  it('renders Config from the spec', () => {
    const config = renderContainerInspect(makeView('running'), null).Config
    expect(config.Hostname).toBe('web-host')
    expect(config.User).toBe('')
    expect(config.Env).toEqual(['PATH=/bin'])
    expect(config.Cmd).toEqual(['nginx', '-g', 'daemon off;'])
    expect(config.WorkingDir).toBe('/srv')
    expect(config.Tty).toBe(false)
    expect(config.Image).toBe('docker.io/library/nginx:latest')
    expect(config.Labels).toEqual({ 'nerdctl/name': 'web' })
  })

  it('renders a non-root user as uid:gid', () => {
    const spec = { process: { cwd: '/', user: { uid: 1000, gid: 50 } } }
    const config = renderContainerInspect(makeView('running', { record: { spec } }), null).Config
    expect(config.User).toBe('1000:50')
  })

  it('renders a container without spec', () => {
    const view = makeView('created', { record: { spec: undefined } })
    const inspect = renderContainerInspect(view, null)
    expect(inspect.Path).toBe('')
    expect(inspect.Args).toEqual([])
    expect(inspect.Config.Env).toEqual([])
    expect(inspect.Config.Hostname).toBe('')
  })
})

describe('renderContainerSummary', () => {
  it('renders a running container', () => {
    expect(renderContainerSummary(makeView('running'))).toEqual({
      Id: CONTAINER_ID,
      Names: ['/web'],
      Image: 'docker.io/library/nginx:latest',
      ImageID: '',
      Command: 'nginx -g daemon off;',
      Created: Date.parse('2026-01-02T03:04:05Z') / 1000,
      State: 'running',
      Status: 'Up',
      Labels: { 'nerdctl/name': 'web' },
    })
  })

  const statuses: { status: ContainerStatus; expected: string }[] = [
    { status: 'running', expected: 'Up' },
    { status: 'paused', expected: 'Up (Paused)' },
    { status: 'exited', expected: 'Exited' },
    { status: 'created', expected: 'Created' },
  ]

  it.each(statuses)('renders Status of $status', ({ status, expected }) => {
    expect(renderContainerSummary(makeView(status)).Status).toBe(expected)
  })
})
