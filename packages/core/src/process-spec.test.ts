import type { OciProcess } from '@dexec/containerd'
import type { ExecConfig } from '@dexec/exec-store'
import { describe, expect, it } from 'vitest'

import { ALL_CAPABILITIES, buildExecProcess } from './process-spec.js'
import type { ResolvedUser } from './user.js'

const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']

function makeBase(): OciProcess {
  return {
    terminal: false,
    user: { uid: 0, gid: 0, umask: 0o022, additionalGids: [0, 10] },
    args: ['nginx', '-g', 'daemon off;'],
    env: ['PATH=/usr/bin', 'NGINX_VERSION=1.27'],
    cwd: '/srv',
    capabilities: {
      bounding: [...DEFAULT_CAPS],
      effective: [...DEFAULT_CAPS],
      permitted: [...DEFAULT_CAPS],
      inheritable: ['CAP_KILL'],
      ambient: ['CAP_NET_BIND_SERVICE'],
    },
    apparmorProfile: 'docker-default',
    noNewPrivileges: true,
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    oomScoreAdj: 0,
    selinuxLabel: 'system_u:system_r:container_t:s0',
  }
}

function makeConfig(overrides: Partial<ExecConfig> = {}): ExecConfig {
  return {
    containerId: 'c'.repeat(64),
    cmd: ['sh', '-c', 'echo hi'],
    env: ['PATH=/bin', 'HOSTNAME=web'],
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
  }
}

interface BuildOptions {
  user?: ResolvedUser | null
  consoleSize?: [number, number] | null
  base?: OciProcess
}

function build(overrides: Partial<ExecConfig> = {}, options: BuildOptions = {}): OciProcess {
  return buildExecProcess({
    base: options.base ?? makeBase(),
    config: makeConfig(overrides),
    user: options.user ?? null,
    consoleSize: options.consoleSize ?? null,
  })
}

describe('buildExecProcess', () => {
  it('sets args to the exec command', () => {
    expect(build({ cmd: ['ls', '-l', '/'] }).args).toEqual(['ls', '-l', '/'])
  })

  it('keeps a one-element command', () => {
    expect(build({ cmd: [''] }).args).toEqual([''])
  })

  it('replaces the container env', () => {
    expect(build({ env: ['A=1'] }).env).toEqual(['A=1'])
  })

  it('keeps an empty exec env empty', () => {
    expect(build({ env: [] }).env).toEqual([])
  })

  it('sets cwd to the working directory', () => {
    expect(build({ workingDir: '/tmp' }).cwd).toBe('/tmp')
  })

  it('defaults cwd to the root', () => {
    expect(build({ workingDir: '' }).cwd).toBe('/')
  })

  it.each([true, false])('sets terminal to tty %s', (tty) => {
    expect(build({ tty }).terminal).toBe(tty)
  })

  it('sets terminal false over a terminal base', () => {
    const base = { ...makeBase(), terminal: true }
    expect(build({ tty: false }, { base }).terminal).toBe(false)
  })

  describe('consoleSize', () => {
    it('sets height and width for a terminal', () => {
      const process = build({ tty: true }, { consoleSize: [24, 80] })
      expect(process.consoleSize).toEqual({ height: 24, width: 80 })
    })

    it('is absent without a terminal', () => {
      expect(build({ tty: false }, { consoleSize: [24, 80] })).not.toHaveProperty('consoleSize')
    })

    it('is absent without a size', () => {
      expect(build({ tty: true }, { consoleSize: null })).not.toHaveProperty('consoleSize')
    })

    it.each<[number, number]>([
      [0, 80],
      [24, 0],
      [0, 0],
    ])('is absent for %i x %i', (height, width) => {
      const process = build({ tty: true }, { consoleSize: [height, width] })
      expect(process).not.toHaveProperty('consoleSize')
    })

    it('drops the base console size', () => {
      const base = { ...makeBase(), terminal: true, consoleSize: { height: 50, width: 200 } }
      expect(build({ tty: false }, { base, consoleSize: null })).not.toHaveProperty('consoleSize')
    })

    it('replaces the base console size', () => {
      const base = { ...makeBase(), terminal: true, consoleSize: { height: 50, width: 200 } }
      const process = build({ tty: true }, { base, consoleSize: [10, 20] })
      expect(process.consoleSize).toEqual({ height: 10, width: 20 })
    })
  })

  describe('user', () => {
    const alice: ResolvedUser = {
      uid: 1000,
      gid: 1000,
      additionalGids: [1000, 50],
      home: '/home/alice',
    }

    it('keeps the container user without an override', () => {
      expect(build().user).toEqual({ uid: 0, gid: 0, umask: 0o022, additionalGids: [0, 10] })
    })

    it('sets uid, gid and additionalGids', () => {
      const user = build({}, { user: alice }).user
      expect(user.uid).toBe(1000)
      expect(user.gid).toBe(1000)
      expect(user.additionalGids).toEqual([1000, 50])
    })

    it('keeps the container umask', () => {
      expect(build({}, { user: alice }).user.umask).toBe(0o022)
    })

    it('sets additionalGids of an explicit group', () => {
      const user = { uid: 1000, gid: 50, additionalGids: [50], home: '/home/alice' }
      expect(build({}, { user }).user.additionalGids).toEqual([50])
    })

    it('does not share the additionalGids array', () => {
      const user = { ...alice, additionalGids: [1000, 50] }
      const process = build({}, { user })
      user.additionalGids.push(99)
      expect(process.user.additionalGids).toEqual([1000, 50])
    })
  })

  describe('privileged', () => {
    it('grants every capability in three sets', () => {
      const caps = build({ privileged: true }).capabilities
      expect(caps?.bounding).toEqual(ALL_CAPABILITIES)
      expect(caps?.permitted).toEqual(ALL_CAPABILITIES)
      expect(caps?.effective).toEqual(ALL_CAPABILITIES)
    })

    it('leaves inheritable and ambient alone', () => {
      const caps = build({ privileged: true }).capabilities
      expect(caps?.inheritable).toEqual(['CAP_KILL'])
      expect(caps?.ambient).toEqual(['CAP_NET_BIND_SERVICE'])
    })

    it('grants every capability without base capabilities', () => {
      const { capabilities: _, ...base } = makeBase()
      const caps = build({ privileged: true }, { base }).capabilities
      expect(caps?.bounding).toEqual(ALL_CAPABILITIES)
      expect(caps?.permitted).toEqual(ALL_CAPABILITIES)
      expect(caps?.effective).toEqual(ALL_CAPABILITIES)
      expect(caps).not.toHaveProperty('inheritable')
    })

    it('does not share the capability list', () => {
      const caps = build({ privileged: true }).capabilities
      caps?.bounding?.push('CAP_EXTRA')
      expect(ALL_CAPABILITIES).not.toContain('CAP_EXTRA')
      expect(caps?.permitted).not.toContain('CAP_EXTRA')
    })

    it('keeps the container capabilities when not privileged', () => {
      expect(build({ privileged: false }).capabilities).toEqual(makeBase().capabilities)
    })

    it('keeps other security settings', () => {
      const process = build({ privileged: true })
      expect(process.apparmorProfile).toBe('docker-default')
      expect(process.noNewPrivileges).toBe(true)
      expect(process.selinuxLabel).toBe('system_u:system_r:container_t:s0')
    })
  })

  it('lists 41 capabilities without repeats', () => {
    expect(ALL_CAPABILITIES).toHaveLength(41)
    expect(new Set(ALL_CAPABILITIES).size).toBe(ALL_CAPABILITIES.length)
  })

  it('keeps rlimits and other base fields', () => {
    const process = build()
    expect(process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }])
    expect(process.oomScoreAdj).toBe(0)
  })

  it('does not mutate the base process', () => {
    const base = makeBase()
    const process = buildExecProcess({
      base,
      config: makeConfig({ tty: true, privileged: true, workingDir: '/tmp', env: ['A=1'] }),
      user: { uid: 1000, gid: 50, additionalGids: [50], home: undefined },
      consoleSize: [24, 80],
    })
    expect(base).toEqual(makeBase())
    ;(process.rlimits as { soft: number }[])[0]!.soft = 1
    process.user.additionalGids?.push(7)
    expect(base).toEqual(makeBase())
  })

  it('does not share arrays with the config', () => {
    const config = makeConfig()
    const process = buildExecProcess({ base: makeBase(), config, user: null, consoleSize: null })
    process.args?.push('x')
    process.env?.push('X=1')
    expect(config.cmd).toEqual(['sh', '-c', 'echo hi'])
    expect(config.env).toEqual(['PATH=/bin', 'HOSTNAME=web'])
  })
})
