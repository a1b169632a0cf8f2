import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { overlayEnv } from './env.js'
import { DexecError } from './errors.js'
import { parseEventFilters } from './event-filter.js'
import { resolveUser } from './user.js'

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n'
const GROUP = 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n'

/** Runs `action`; a DexecError of `kind` is an accepted outcome, any other throw fails. */
function typedOrValue<T>(action: () => T, kind: string): T | undefined {
  try {
    return action()
  } catch (err) {
    expect(err).toBeInstanceOf(DexecError)
    expect((err as DexecError).kind).toBe(kind)
    expect((err as Error).message.length).toBeGreaterThan(0)
    return undefined
  }
}

describe('resolveUser fuzz', () => {
  const part = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('root', 'app', 'extra', '0', '1000', '-1', '2147483648', '+7', ''),
    fc.integer({ min: -5, max: 2 ** 32 }).map(String),
  )
  const userString = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.tuple(part, part).map(([user, group]) => `${user}:${group}`),
    fc.tuple(part, part, part).map((parts) => parts.join(':')),
  )

  it('resolves any user string or throws INVALID_PARAMETER', () => {
    fc.assert(
      fc.property(userString, (spec) => {
        const user = typedOrValue(() => resolveUser(spec, PASSWD, GROUP), 'INVALID_PARAMETER')
        if (user === undefined) return
        expect(user.uid).toBeGreaterThanOrEqual(0)
        expect(user.uid).toBeLessThanOrEqual(0xffff_ffff)
        expect(user.additionalGids[0]).toBe(user.gid)
      }),
      { numRuns: 10_000 },
    )
  }, 60_000)

  it('survives arbitrary passwd and group text', () => {
    const lines = fc.array(fc.array(fc.string({ maxLength: 6 }), { maxLength: 8 }).map((fields) => fields.join(':')), {
      maxLength: 6,
    })
    const text = fc.option(lines.map((list) => list.join('\n')), { nil: null })
    fc.assert(
      fc.property(userString, text, text, (spec, passwd, group) => {
        typedOrValue(() => resolveUser(spec, passwd, group), 'INVALID_PARAMETER')
      }),
      { numRuns: 5_000 },
    )
  }, 60_000)
})

describe('overlayEnv fuzz', () => {
  const key = fc.constantFrom('A', 'B', 'PATH', 'HOME', '', 'a')
  const entry = fc.oneof(
    key,
    fc.tuple(key, fc.string({ maxLength: 6 })).map(([k, v]) => `${k}=${v}`),
    fc.string({ maxLength: 8 }),
  )
  const keyOf = (e: string) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e)

  it('keeps only entries of either list, none empty, and no bare overlay key', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.array(entry, { maxLength: 8 }), (base, overlay) => {
        const result = overlayEnv(base, overlay)
        expect(result.every((e) => e !== '')).toBe(true)
        expect(result.every((e) => base.includes(e) || overlay.includes(e))).toBe(true)
        const bareOverlay = result.filter((e) => !e.includes('=') && !base.includes(e))
        expect(bareOverlay).toEqual([])
      }),
      { numRuns: 10_000 },
    )
  }, 60_000)

  it('ends with the last overlay value of a key the base holds once', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.array(entry, { maxLength: 8 }), (base, overlay) => {
        const result = overlayEnv(base, overlay)
        const last = overlay.filter((e) => e !== '').at(-1)
        const target = last === undefined ? undefined : keyOf(last)
        if (last === undefined || !last.includes('=')) return
        if (base.filter((e) => keyOf(e) === target).length !== 1) return
        if (overlay.filter((e) => keyOf(e) === target).length !== 1) return
        expect(result).toContain(last)
      }),
      { numRuns: 5_000 },
    )
  }, 60_000)
})

describe('parseEventFilters fuzz', () => {
  const filterValue = fc.oneof(
    fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 6 }), fc.constant(true), { maxKeys: 3 }),
    fc.jsonValue({ maxDepth: 2 }),
  )
  const filtersText = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.dictionary(fc.constantFrom('type', 'event', 'container', 'label', 'x'), filterValue, { maxKeys: 4 }).map((v) =>
      JSON.stringify(v),
    ),
  )

  it('returns lists of strings or throws INVALID_PARAMETER', () => {
    fc.assert(
      fc.property(filtersText, (text) => {
        const filters = typedOrValue(() => parseEventFilters(text), 'INVALID_PARAMETER')
        if (filters === undefined) return
        for (const values of Object.values(filters)) {
          expect(values.every((value) => typeof value === 'string')).toBe(true)
        }
      }),
      { numRuns: 10_000 },
    )
  }, 60_000)
})
