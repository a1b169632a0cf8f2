import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { buildExecEnv, DEFAULT_PATH_ENV, overlayEnv } from './env.js'

describe('overlayEnv', () => {
  const cases: { doc: string; base: string[]; overlay: string[]; expected: string[] }[] = [
    {
      doc: 'replaces an existing key in place',
      base: ['A=1', 'B=2', 'C=3'],
      overlay: ['B=x'],
      expected: ['A=1', 'B=x', 'C=3'],
    },
    {
      doc: 'appends a new key at the end',
      base: ['A=1'],
      overlay: ['Z=9'],
      expected: ['A=1', 'Z=9'],
    },
    {
      doc: 'appends new keys in overlay order',
      base: ['A=1'],
      overlay: ['Z=9', 'Y=8'],
      expected: ['A=1', 'Z=9', 'Y=8'],
    },
    {
      doc: 'removes a key given bare',
      base: ['A=1', 'B=2', 'C=3'],
      overlay: ['B'],
      expected: ['A=1', 'C=3'],
    },
    {
      doc: 'ignores a bare key not in base',
      base: ['A=1'],
      overlay: ['NOPE'],
      expected: ['A=1'],
    },
    {
      doc: 'keeps duplicates appended by the overlay',
      base: ['A=1'],
      overlay: ['X=1', 'X=2'],
      expected: ['A=1', 'X=1', 'X=2'],
    },
    {
      doc: 'does not remove a key the overlay appended',
      base: ['A=1'],
      overlay: ['X=1', 'X'],
      expected: ['A=1', 'X=1'],
    },
    {
      doc: 'restores the slot for K=V after bare K',
      base: ['A=1', 'B=2', 'C=3'],
      overlay: ['B', 'B=back'],
      expected: ['A=1', 'B=back', 'C=3'],
    },
    {
      doc: 'removes after a replacement',
      base: ['A=1', 'B=2'],
      overlay: ['B=x', 'B'],
      expected: ['A=1'],
    },
    {
      doc: 'uses the last base entry of a repeated key',
      base: ['A=1', 'A=2'],
      overlay: ['A=3'],
      expected: ['A=1', 'A=3'],
    },
    {
      doc: 'splits the key at the first equals sign',
      base: ['A=x=y'],
      overlay: ['A=b=c'],
      expected: ['A=b=c'],
    },
    {
      doc: 'treats K= as a value, not a removal',
      base: ['A=1'],
      overlay: ['A='],
      expected: ['A='],
    },
    {
      doc: 'matches a bare base entry by its whole text',
      base: ['BARE', 'A=1'],
      overlay: ['BARE=now'],
      expected: ['BARE=now', 'A=1'],
    },
    {
      doc: 'drops empty base entries',
      base: ['A=1', '', 'B=2'],
      overlay: [],
      expected: ['A=1', 'B=2'],
    },
    {
      doc: 'matches keys case-sensitively',
      base: ['path=/a'],
      overlay: ['PATH=/b'],
      expected: ['path=/a', 'PATH=/b'],
    },
  ]

  it.each(cases)('$doc', ({ base, overlay, expected }) => {
    expect(overlayEnv(base, overlay)).toEqual(expected)
  })

  it('does not change its inputs', () => {
    const base = ['A=1', 'B=2']
    const overlay = ['A=x', 'B', 'C=3']
    overlayEnv(base, overlay)
    expect(base).toEqual(['A=1', 'B=2'])
    expect(overlay).toEqual(['A=x', 'B', 'C=3'])
  })

  it('returns base unchanged for an empty overlay', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 })), (base) => {
        expect(overlayEnv(base, [])).toEqual(base)
      }),
    )
  })

  it('never grows by more than the overlay', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.array(fc.string()), (base, overlay) => {
        expect(overlayEnv(base, overlay).length).toBeLessThanOrEqual(base.length + overlay.length)
      }),
    )
  })
})

describe('buildExecEnv', () => {
  const hostname = 'c0ffee'
  const hostnameEnv = `HOSTNAME=${hostname}`
  // The recorded container had only a PATH in Config.Env.
  const containerEnv = [DEFAULT_PATH_ENV]

  it('uses the Linux default PATH', () => {
    const path = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    expect(DEFAULT_PATH_ENV).toBe(`PATH=${path}`)
  })

  const cases: {
    doc: string
    tty: boolean
    containerEnv: string[]
    execEnv: string[]
    expected: string[]
  }[] = [
    {
      doc: 'no exec env without tty',
      tty: false,
      containerEnv,
      execEnv: [],
      expected: [DEFAULT_PATH_ENV, hostnameEnv],
    },
    {
      doc: 'no exec env with tty',
      tty: true,
      containerEnv,
      execEnv: [],
      expected: [DEFAULT_PATH_ENV, hostnameEnv, 'TERM=xterm'],
    },
    {
      doc: 'TERM replaced in place',
      tty: true,
      containerEnv,
      execEnv: ['TERM=vt100'],
      expected: [DEFAULT_PATH_ENV, hostnameEnv, 'TERM=vt100'],
    },
    {
      doc: 'FOO, PATH and HOME without tty',
      tty: false,
      containerEnv,
      execEnv: ['FOO=bar', 'PATH=/custom', 'HOME=/h'],
      expected: ['PATH=/custom', hostnameEnv, 'FOO=bar', 'HOME=/h'],
    },
    {
      doc: 'FOO, PATH and HOME with tty',
      tty: true,
      containerEnv,
      execEnv: ['FOO=bar', 'PATH=/custom', 'HOME=/h'],
      expected: ['PATH=/custom', hostnameEnv, 'TERM=xterm', 'FOO=bar', 'HOME=/h'],
    },
    {
      doc: 'container PATH and bare HOSTNAME',
      tty: true,
      containerEnv: ['PATH=/x'],
      execEnv: ['FOO=1', 'HOSTNAME'],
      expected: ['PATH=/x', 'TERM=xterm', 'FOO=1'],
    },
    {
      doc: 'container env appended after the defaults',
      tty: false,
      containerEnv: ['LANG=C', 'PATH=/x'],
      execEnv: [],
      expected: ['PATH=/x', hostnameEnv, 'LANG=C'],
    },
    {
      doc: 'exec env replacing a container entry',
      tty: false,
      containerEnv: ['LANG=C', 'A=1'],
      execEnv: ['LANG=en_US.UTF-8'],
      expected: [DEFAULT_PATH_ENV, hostnameEnv, 'LANG=en_US.UTF-8', 'A=1'],
    },
    {
      doc: 'exec env removing a container entry',
      tty: false,
      containerEnv: ['LANG=C', 'A=1'],
      execEnv: ['LANG'],
      expected: [DEFAULT_PATH_ENV, hostnameEnv, 'A=1'],
    },
    {
      doc: 'exec env removing a default',
      tty: true,
      containerEnv: [],
      execEnv: ['TERM', 'PATH'],
      expected: [hostnameEnv],
    },
    {
      // The container overlay appended both, so the exec overlay sees the last one.
      doc: 'container duplicates and exec replacement',
      tty: false,
      containerEnv: ['X=1', 'X=2'],
      execEnv: ['X=3'],
      expected: [DEFAULT_PATH_ENV, hostnameEnv, 'X=1', 'X=3'],
    },
    {
      doc: 'container TERM without exec tty',
      tty: false,
      containerEnv: ['TERM=dumb'],
      execEnv: [],
      expected: [DEFAULT_PATH_ENV, hostnameEnv, 'TERM=dumb'],
    },
    {
      doc: 'container TERM with exec tty',
      tty: true,
      containerEnv: ['TERM=dumb'],
      execEnv: [],
      expected: [DEFAULT_PATH_ENV, hostnameEnv, 'TERM=dumb'],
    },
  ]

  it.each(cases)('$doc', ({ tty, containerEnv, execEnv, expected }) => {
    expect(buildExecEnv({ hostname, tty, containerEnv, execEnv })).toEqual(expected)
  })

  it('adds no HOME entry', () => {
    const env = buildExecEnv({ hostname, tty: true, containerEnv, execEnv: [] })
    expect(env.some((entry) => entry.startsWith('HOME='))).toBe(false)
  })

  it('leaves HOSTNAME out when the spec sets no hostname', () => {
    const env = buildExecEnv({ hostname: '', tty: false, containerEnv: [], execEnv: [] })
    expect(env).toEqual([DEFAULT_PATH_ENV])
  })
})
