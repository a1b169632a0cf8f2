import { describe, expect, it } from 'vitest'

import { InvalidGcOptionError } from './errors.js'
import type { GcStore, TwoPhaseGcOptions } from './options.js'
import { TwoPhaseGc } from './two-phase-gc.js'

const store: GcStore = { values: () => [], delete: () => {} }
const MAX_INTERVAL = 2_147_483_647

function build(options: unknown): () => TwoPhaseGc {
  return () => new TwoPhaseGc(options as TwoPhaseGcOptions)
}

describe('TwoPhaseGc options', () => {
  it('defaults to five minutes', () => {
    const gc = new TwoPhaseGc({ store })
    expect(gc.intervalMs).toBe(300_000)
    expect(gc.maxIdleMs).toBeUndefined()
  })

  it('keeps given durations', () => {
    const gc = new TwoPhaseGc({ store, intervalMs: MAX_INTERVAL, maxIdleMs: 1 })
    expect(gc.intervalMs).toBe(MAX_INTERVAL)
    expect(gc.maxIdleMs).toBe(1)
  })

  it.each([
    { option: 'intervalMs', value: 0, text: '0' },
    { option: 'intervalMs', value: -5, text: '-5' },
    { option: 'intervalMs', value: 1.5, text: '1.5' },
    { option: 'intervalMs', value: Number.NaN, text: 'NaN' },
    { option: 'intervalMs', value: '60000', text: '"60000"' },
    { option: 'intervalMs', value: MAX_INTERVAL + 1, text: '2147483648' },
    { option: 'maxIdleMs', value: 0, text: '0' },
    { option: 'maxIdleMs', value: -1, text: '-1' },
    { option: 'maxIdleMs', value: Number.POSITIVE_INFINITY, text: 'Infinity' },
  ])('rejects $option $text', ({ option, value, text }) => {
    const max = option === 'intervalMs' ? MAX_INTERVAL : Number.MAX_SAFE_INTEGER
    const create = build({ store, [option]: value })
    expect(create).toThrow(InvalidGcOptionError)
    expect(create).toThrow(
      `invalid GC option ${option}: ${text}; expected a positive integer of ms, at most ${max}`,
    )
  })

  it.each([
    {
      doc: 'missing options',
      options: null,
      message: 'invalid GC option options: null; expected an object with at least `store`',
    },
    {
      doc: 'missing store',
      options: {},
      message:
        'invalid GC option store: undefined; expected an object with values() and delete(id)',
    },
    {
      doc: 'store without delete',
      options: { store: { values: () => [] } },
      message:
        'invalid GC option store: an object; expected an object with values() and delete(id)',
    },
    {
      doc: 'clock function',
      options: { store, clock: Date.now },
      message: 'invalid GC option clock: a function; expected an object with now()',
    },
    {
      doc: 'empty timers',
      options: { store, timers: {} },
      message:
        'invalid GC option timers: an object; ' +
        'expected an object with setInterval and clearInterval',
    },
    {
      doc: 'onCollect boolean',
      options: { store, onCollect: true },
      message: 'invalid GC option onCollect: true; expected a function',
    },
    {
      doc: 'onError string',
      options: { store, onError: 'log' },
      message: 'invalid GC option onError: "log"; expected a function',
    },
  ])('rejects $doc', ({ options, message }) => {
    const create = build(options)
    expect(create).toThrow(InvalidGcOptionError)
    expect(create).toThrow(message)
  })

  it('names the option and value', () => {
    let caught: unknown
    try {
      new TwoPhaseGc({ store, maxIdleMs: -1 })
    } catch (error) {
      caught = error
    }
    expect(caught).toMatchObject({
      name: 'InvalidGcOptionError',
      code: 'GC_INVALID_OPTION',
      option: 'maxIdleMs',
      value: -1,
    })
  })
})
