import { describe, expect, it } from 'vitest'

import { parseOptions } from './options.js'
import { buildRows } from './report.js'
import { runBench, type BenchResults } from './run.js'

// A smoke run: small sizes, every figure measured once. It checks that the bench works end to
// end on this machine, not that the targets are met.
describe('runBench quick', () => {
  let results: BenchResults

  it('completes', async () => {
    results = await runBench(parseOptions(['--quick'], {})!)
    expect(results.date).toMatch(/^\d{4}-/)
  }, 120_000)

  it.each(['roundtrip', 'stdout', 'tty', 'stdin'] as const)('measures %s on both servers', (figure) => {
    for (const side of ['dexec', 'dockerd'] as const) {
      expect(results[figure][side].length).toBeGreaterThan(0)
      for (const value of results[figure][side]) expect(value).toBeGreaterThan(0)
    }
  })

  it.each(['roundtrip', 'stdout', 'tty'] as const)('measures the %s floor', (figure) => {
    expect(results[figure].floor.length).toBeGreaterThan(0)
    for (const value of results[figure].floor) expect(value).toBeGreaterThan(0)
  })

  it('runs every concurrency level without errors', () => {
    expect(Object.keys(results.concurrent)).toEqual(['4', '8'])
    for (const runs of Object.values(results.concurrent)) {
      for (const run of [...runs.dexec, ...runs.dockerd]) {
        expect(run.errors).toBe(0)
        expect(run.latenciesMs.length).toBeGreaterThan(0)
        expect(run.wallMs).toBeGreaterThan(0)
      }
    }
  })

  it('samples the RSS of both daemons', () => {
    expect(results.rss.idle.dexec).toBeGreaterThan(0)
    expect(results.rss.idle.dockerd).toBeGreaterThan(0)
    for (const peak of Object.values(results.rss.peak)) {
      expect(peak.dexec).toBeGreaterThan(0)
      expect(peak.dockerd).toBeGreaterThan(0)
    }
  })

  it('measures the stalled reader on both servers', () => {
    expect(results.stalled.dexec).toHaveLength(1)
    expect(results.stalled.dockerd).toHaveLength(1)
  })

  it('gives every row a positive or zero number', () => {
    for (const row of buildRows(results)) {
      if (row.figure.startsWith('RSS growth') || row.figure.endsWith('errors')) {
        expect(Number.isFinite(row.dexec), row.figure).toBe(true)
        continue
      }
      // CPU time comes in clock ticks of 10 ms, and a quick run of a daemon can take less.
      if (row.figure.startsWith('CPU')) {
        expect(row.dexec, row.figure).toBeGreaterThanOrEqual(0)
        expect(row.dockerd, row.figure).toBeGreaterThanOrEqual(0)
        continue
      }
      expect(row.dexec, row.figure).toBeGreaterThan(0)
      expect(row.dockerd, row.figure).toBeGreaterThan(0)
    }
  })
})
