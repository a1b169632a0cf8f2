import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { DexecError } from './errors.js'
import { resolveUser, type ResolvedUser } from './user.js'

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'alice:x:1000:1000:Alice:/home/alice:/bin/sh',
  'bob:x:1001:1001::/home/bob:/bin/sh',
  '',
].join('\n')

const GROUP = ['root:x:0:', 'staff:x:50:alice', 'alice:x:1000:', 'bob:x:1001:', ''].join('\n')

const RANGE_MESSAGE = 'uids and gids must be in range 0-2147483647'

/** Returns the error that `resolveUser` throws, or fails the test when it returns. */
function resolveError(spec: string, passwd: string | null = PASSWD, group: string | null = GROUP) {
  try {
    resolveUser(spec, passwd, group)
  } catch (err) {
    return err
  }
  throw new Error(`resolveUser(${JSON.stringify(spec)}) returned instead of throwing`)
}

describe('resolveUser', () => {
  // spec, uid, gid, additionalGids, home
  const resolved: [string, number, number, number[], string | undefined][] = [
    ['alice', 1000, 1000, [1000, 50], '/home/alice'],
    ['1000', 1000, 1000, [1000, 50], '/home/alice'],
    ['alice:staff', 1000, 50, [50], '/home/alice'],
    ['1000:50', 1000, 50, [50], '/home/alice'],
    ['alice:50', 1000, 50, [50], '/home/alice'],
    ['1000:staff', 1000, 50, [50], '/home/alice'],
    ['1000:9999', 1000, 9999, [9999], '/home/alice'],
    [':staff', 0, 50, [50], '/root'],
    ['4242', 4242, 0, [0], undefined],
    ['4242:staff', 4242, 50, [50], undefined],
    ['root', 0, 0, [0], '/root'],
    ['0', 0, 0, [0], '/root'],
    ['bob', 1001, 1001, [1001], '/home/bob'],
    ['alice:', 1000, 1000, [1000, 50], '/home/alice'],
    [':', 0, 0, [0], '/root'],
    ['', 0, 0, [0], '/root'],
    ['2147483647', 2147483647, 0, [0], undefined],
    ['0:2147483647', 0, 2147483647, [2147483647], '/root'],
    // Go's strconv.Atoi accepts a sign and leading zeros.
    ['+1000', 1000, 1000, [1000, 50], '/home/alice'],
    ['01000:050', 1000, 50, [50], '/home/alice'],
    ['-0', 0, 0, [0], '/root'],
    // Fields after the second colon are ignored.
    ['alice:staff:extra', 1000, 50, [50], '/home/alice'],
  ]

  it.each(resolved)('resolves "%s"', (spec, uid, gid, additionalGids, home) => {
    expect(resolveUser(spec, PASSWD, GROUP)).toEqual({ uid, gid, additionalGids, home })
  })

  const noUser = (name: string) =>
    `unable to find user ${name}: no matching entries in passwd file`
  const noGroup = (name: string) =>
    `unable to find group ${name}: no matching entries in group file`
  const rejected: [string, string][] = [
    ['nosuch', noUser('nosuch')],
    ['nosuch:staff', noUser('nosuch')],
    ['alice:nogroup2', noGroup('nogroup2')],
    ['1000:nogroup2', noGroup('nogroup2')],
    [':nogroup2', noGroup('nogroup2')],
    ['Alice', noUser('Alice')],
    [' alice', noUser(' alice')],
    ['2147483648', RANGE_MESSAGE],
    ['-1', RANGE_MESSAGE],
    ['alice:2147483648', RANGE_MESSAGE],
    ['alice:-1', RANGE_MESSAGE],
    ['99999999999999999999999', RANGE_MESSAGE],
    // Both ids are checked before the user is looked up.
    ['nosuch:-1', RANGE_MESSAGE],
  ]

  it.each(rejected)('rejects "%s"', (spec, message) => {
    const err = resolveError(spec)
    expect(err).toBeInstanceOf(DexecError)
    expect((err as DexecError).kind).toBe('INVALID_PARAMETER')
    expect((err as DexecError).message).toBe(message)
  })

  it('takes the first matching passwd line', () => {
    const passwd = 'alice:x:1000:1000::/first:/bin/sh\nalice:x:2000:2000::/second:/bin/sh\n'
    expect(resolveUser('alice', passwd, GROUP).uid).toBe(1000)
    expect(resolveUser('alice', passwd, GROUP).home).toBe('/first')
  })

  it('takes the first line with a numeric uid', () => {
    const passwd = 'first:x:7:70::/one:/bin/sh\nsecond:x:7:71::/two:/bin/sh\n'
    expect(resolveUser('7', passwd, '').gid).toBe(70)
  })

  it('treats a numeric user as a uid, not a name', () => {
    const passwd = '1000:x:5:5::/named:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n'
    expect(resolveUser('1000', passwd, '').home).toBe('/home/alice')
  })

  it('treats a numeric group as a gid, not a name', () => {
    const group = '50:x:7:\nstaff:x:50:\n'
    expect(resolveUser('alice:50', PASSWD, group).gid).toBe(50)
  })

  it('takes the first group with a name', () => {
    const group = 'staff:x:50:\nstaff:x:60:\n'
    expect(resolveUser('alice:staff', PASSWD, group).gid).toBe(50)
  })

  it('lists supplementary groups in file order', () => {
    const group = 'wheel:x:10:bob,alice\nstaff:x:50:alice\naudio:x:29:bob\n'
    expect(resolveUser('alice', PASSWD, group).additionalGids).toEqual([1000, 10, 50])
  })

  it('keeps a supplementary gid equal to the primary', () => {
    const group = 'alice:x:1000:alice\nstaff:x:50:alice\n'
    expect(resolveUser('alice', PASSWD, group).additionalGids).toEqual([1000, 1000, 50])
  })

  it('matches members exactly as written', () => {
    const group = 'staff:x:50:bob, alice\n'
    expect(resolveUser('alice', PASSWD, group).additionalGids).toEqual([1000])
  })

  it('finds no supplementary groups for an unknown uid', () => {
    const group = 'staff:x:50:alice,4242\n'
    expect(resolveUser('4242', PASSWD, group).additionalGids).toEqual([0])
  })

  it('gives root its groups for an empty spec', () => {
    const group = 'root:x:0:\nwheel:x:10:root\n'
    expect(resolveUser('', PASSWD, group).additionalGids).toEqual([0, 10])
  })

  describe('missing files', () => {
    it('resolves a uid without passwd', () => {
      const expected = { uid: 1000, gid: 0, additionalGids: [0], home: undefined }
      expect(resolveUser('1000', null, null)).toEqual(expected)
    })

    it('resolves uid:gid without files', () => {
      const expected = { uid: 1000, gid: 50, additionalGids: [50], home: undefined }
      expect(resolveUser('1000:50', null, null)).toEqual(expected)
    })

    it('resolves an empty spec without files', () => {
      const expected = { uid: 0, gid: 0, additionalGids: [0], home: undefined }
      expect(resolveUser('', null, null)).toEqual(expected)
    })

    it('rejects a name without passwd', () => {
      const err = resolveError('alice', null, GROUP) as DexecError
      expect(err.kind).toBe('INVALID_PARAMETER')
      expect(err.message).toBe('unable to find user alice: no matching entries in passwd file')
    })

    it('rejects a group name without group', () => {
      const err = resolveError('alice:staff', PASSWD, null) as DexecError
      expect(err.kind).toBe('INVALID_PARAMETER')
      expect(err.message).toBe('unable to find group staff: no matching entries in group file')
    })

    it('gives no supplementary groups without group', () => {
      expect(resolveUser('alice', PASSWD, null).additionalGids).toEqual([1000])
    })
  })

  describe('file parsing', () => {
    it('skips comment lines', () => {
      const passwd = [
        '#alice:x:1:1::/comment:/bin/sh',
        '  # indented comment',
        'alice:x:1000:1000::/home/alice:/bin/sh',
      ].join('\n')
      expect(resolveUser('alice', passwd, '').uid).toBe(1000)
    })

    it('skips a comment line matching uid 0', () => {
      const passwd = '#comment\nroot:x:0:0:root:/root:/bin/sh\n'
      expect(resolveUser('0', passwd, '').home).toBe('/root')
    })

    it('skips comment lines in group', () => {
      const group = '#staff:x:99:alice\nstaff:x:50:alice\n'
      expect(resolveUser('alice:staff', PASSWD, group).gid).toBe(50)
      expect(resolveUser('alice', PASSWD, group).additionalGids).toEqual([1000, 50])
    })

    const malformedPasswd: { doc: string; line: string }[] = [
      { doc: 'too few fields', line: 'alice:x:1' },
      { doc: 'no colon', line: 'alice' },
      { doc: 'non-numeric uid', line: 'alice:x:abc:1000::/bad:/bin/sh' },
      { doc: 'empty uid', line: 'alice:x::1000::/bad:/bin/sh' },
      { doc: 'non-numeric gid', line: 'alice:x:1:x::/bad:/bin/sh' },
      { doc: 'hex uid', line: 'alice:x:0x10:1::/bad:/bin/sh' },
      { doc: 'exponent uid', line: 'alice:x:1e3:1::/bad:/bin/sh' },
      { doc: 'negative uid', line: 'alice:x:-1:1::/bad:/bin/sh' },
      { doc: 'uid above uint32', line: 'alice:x:4294967296:1::/bad:/bin/sh' },
      { doc: 'empty name', line: ':x:1000:1000::/bad:/bin/sh' },
    ]

    it.each(malformedPasswd)('skips a passwd line with $doc', ({ line }) => {
      const passwd = `${line}\nalice:x:1000:1000::/home/alice:/bin/sh\n`
      expect(resolveUser('alice', passwd, '').home).toBe('/home/alice')
    })

    it('rejects a name found only on a malformed line', () => {
      const err = resolveError('alice', 'alice:x:abc:1::/bad:/bin/sh\n', '') as DexecError
      expect(err.message).toBe('unable to find user alice: no matching entries in passwd file')
    })

    const malformedGroup: { doc: string; line: string }[] = [
      { doc: 'too few fields', line: 'staff:x' },
      { doc: 'non-numeric gid', line: 'staff:x:abc:alice' },
      { doc: 'empty gid', line: 'staff:x::alice' },
      { doc: 'empty name', line: ':x:7:alice' },
    ]

    it.each(malformedGroup)('skips a group line with $doc', ({ line }) => {
      const group = `${line}\nstaff:x:50:alice\n`
      expect(resolveUser('alice:staff', PASSWD, group).gid).toBe(50)
      expect(resolveUser('alice', PASSWD, group).additionalGids).toEqual([1000, 50])
    })

    it('accepts a passwd line without home and shell', () => {
      expect(resolveUser('alice', 'alice:x:1000:1000\n', '')).toEqual({
        uid: 1000,
        gid: 1000,
        additionalGids: [1000],
        home: '',
      })
    })

    it('accepts CRLF line ends', () => {
      const passwd = PASSWD.replaceAll('\n', '\r\n')
      const group = GROUP.replaceAll('\n', '\r\n')
      expect(resolveUser('alice', passwd, group)).toEqual({
        uid: 1000,
        gid: 1000,
        additionalGids: [1000, 50],
        home: '/home/alice',
      })
    })

    it('accepts surrounding blanks on a line', () => {
      const passwd = '   alice:x:1000:1000::/home/alice:/bin/sh   \n\n\n'
      expect(resolveUser('alice', passwd, '').uid).toBe(1000)
    })

    it('accepts a group line without a member field', () => {
      expect(resolveUser('alice:staff', PASSWD, 'staff:x:50\n').gid).toBe(50)
    })
  })

  it('throws only INVALID_PARAMETER DexecErrors', () => {
    fc.assert(
      fc.property(fc.string(), (spec) => {
        try {
          const user = resolveUser(spec, PASSWD, GROUP)
          expect(Number.isInteger(user.uid)).toBe(true)
          expect(Number.isInteger(user.gid)).toBe(true)
          expect(user.additionalGids[0]).toBe(user.gid)
        } catch (err) {
          expect(err).toBeInstanceOf(DexecError)
          expect((err as DexecError).kind).toBe('INVALID_PARAMETER')
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('throws only INVALID_PARAMETER on id-like specs', () => {
    const part = fc.oneof(fc.constantFrom('', 'alice', 'staff', '+', '-'), fc.bigInt().map(String))
    fc.assert(
      fc.property(part, part, (user, group) => {
        try {
          resolveUser(`${user}:${group}`, PASSWD, GROUP)
        } catch (err) {
          expect(err).toBeInstanceOf(DexecError)
          expect((err as DexecError).kind).toBe('INVALID_PARAMETER')
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('keeps uids and gids in range', () => {
    const id = fc.integer({ min: 0, max: 2147483647 })
    fc.assert(
      fc.property(id, id, (uid, gid) => {
        const user = resolveUser(`${uid}:${gid}`, PASSWD, GROUP)
        expect(user.uid).toBe(uid)
        expect(user.gid).toBe(gid)
      }),
    )
  })
})
