import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { processStartTime, startTicksOf } from './process-start.js'

// Fields 3 to 22 of a stat line, with 2312043 ticks in field 22.
const TAIL = 'S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 2312043 3133440 379'

let procRoot: string

beforeAll(async () => {
  procRoot = await mkdtemp(join(tmpdir(), 'dexec-proc-'))
  await writeFile(join(procRoot, 'stat'), 'cpu  1 2 3 4\nbtime 1796400000\nprocesses 5\n')
  await mkdir(join(procRoot, '42'))
  await writeFile(join(procRoot, '42', 'stat'), `42 (tail) ${TAIL}\n`)
})

afterAll(async () => {
  await rm(procRoot, { recursive: true, force: true })
})

describe('startTicksOf', () => {
  it.each([
    ['a plain name', `7 (sh) ${TAIL}`],
    ['a name with spaces and parentheses', `7 (a) b (c) ${TAIL}`],
  ])('reads field 22 after %s', (_case, line) => {
    expect(startTicksOf(line)).toBe(2312043)
  })

  it('returns null for a cut line', () => {
    expect(startTicksOf('7 (sh) S 1 1')).toBeNull()
  })
})

describe('processStartTime', () => {
  it('adds the start ticks to the boot time', async () => {
    expect((await processStartTime(42, procRoot))?.toISOString()).toBe('2026-12-04T22:25:20.430Z')
  })

  it('returns null for a process that /proc does not show', async () => {
    expect(await processStartTime(43, procRoot)).toBeNull()
  })

  it('returns null for pid 0', async () => {
    expect(await processStartTime(0, procRoot)).toBeNull()
  })
})
