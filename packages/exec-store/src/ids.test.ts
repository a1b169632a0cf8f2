import { describe, expect, it } from 'vitest'

import type { ExecConfig } from './record.js'
import { ExecStore } from './store.js'

const COUNT = 10_000

function makeConfig(): ExecConfig {
  return {
    containerId: 'c'.repeat(64),
    cmd: ['true'],
    env: [],
    user: '',
    workingDir: '',
    tty: false,
    attachStdin: false,
    attachStdout: true,
    attachStderr: true,
    privileged: false,
    detachKeys: Buffer.alloc(0),
    consoleSize: null,
  }
}

describe('ExecStore IDs from the default random source', () => {
  const store = new ExecStore()
  const ids = Array.from({ length: COUNT }, () => store.create(makeConfig()).id)

  it('are 64 lowercase hex digits, 256 bits', () => {
    const malformed = ids.filter((id) => !/^[0-9a-f]{64}$/.test(id))
    expect(malformed).toEqual([])
  })

  it('are distinct over 10,000 creates', () => {
    expect(new Set(ids).size).toBe(COUNT)
  })

  it('are distinct in their 12-digit short form', () => {
    expect(new Set(ids.map((id) => id.slice(0, 12))).size).toBe(COUNT)
  })

  it('use every hex digit in every position', () => {
    // A source with fewer random bits than 256 would leave some position with
    // fewer than 16 digits across 10,000 IDs (each misses with p = 16 * (15/16)^10000).
    const narrow = Array.from({ length: 64 }, (_, i) => new Set(ids.map((id) => id[i])).size).filter((n) => n < 16)
    expect(narrow).toEqual([])
  })
})
