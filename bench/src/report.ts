// Turns the raw numbers of a run into the rows of the results table, with each target checked.

import type { ConcurrentRun } from './figures.js'
import type { BenchResults, StalledGrowth } from './run.js'

const MB = 1024 * 1024

/** One line of the table. `pass` is null for a figure without a target. */
export interface Row {
  figure: string
  unit: string
  dexec: number
  dockerd: number
  floor: number | null
  target: string
  pass: boolean | null
}

/** Returns the `p`-th percentile (0-100) of `values` by nearest rank, or NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

const median = (values: number[]) => percentile(values, 50)

/** Builds the rows of every figure measured in `results`. */
export function buildRows(results: BenchResults): Row[] {
  const rows: Row[] = []
  const row = (r: Omit<Row, 'target' | 'pass'>, target = '', pass: boolean | null = null) =>
    rows.push({ ...r, target, pass })

  const rt = results.roundtrip
  if (rt.dexec.length) {
    for (const p of [50, 90, 99]) {
      const [dexec, dockerd, floor] = [rt.dexec, rt.dockerd, rt.floor].map((v) => percentile(v, p)) as [number, number, number]
      const r = { figure: `roundtrip p${p}`, unit: 'ms', dexec, dockerd, floor }
      if (p === 50) row(r, '<=0.95x dockerd, <=floor+2', dexec <= 0.95 * dockerd && dexec <= floor + 2)
      else row(r)
    }
  }
  for (const [level, runs] of Object.entries(results.concurrent)) concurrentRows(Number(level), runs, row)
  throughputRows(results, row)
  rssRows(results, row)
  for (const [figure, values] of Object.entries(results.cpu)) {
    row({ figure: `CPU ${figure}`, unit: 'ms/run', dexec: values.dexec, dockerd: values.dockerd, floor: null })
  }
  return rows
}

type AddRow = (r: Omit<Row, 'target' | 'pass'>, target?: string, pass?: boolean | null) => void

function concurrentRows(level: number, runs: { dexec: ConcurrentRun[]; dockerd: ConcurrentRun[] }, row: AddRow) {
  const pooled = (list: ConcurrentRun[]) => ({
    latencies: list.flatMap((run) => run.latenciesMs),
    errors: list.reduce((sum, run) => sum + run.errors, 0),
    rate: list.reduce((sum, run) => sum + run.latenciesMs.length, 0) / (list.reduce((sum, run) => sum + run.wallMs, 0) / 1000),
  })
  const a = pooled(runs.dexec)
  const b = pooled(runs.dockerd)
  const graded = level >= 128
  const name = `concurrent ${level}`
  const p50 = percentile(a.latencies, 50)
  const p99 = percentile(a.latencies, 99)
  row({ figure: `${name} errors`, unit: 'count', dexec: a.errors, dockerd: b.errors, floor: null }, graded ? '0' : '', graded ? a.errors === 0 : null)
  row({ figure: `${name} p50`, unit: 'ms', dexec: p50, dockerd: percentile(b.latencies, 50), floor: null })
  row(
    { figure: `${name} p99`, unit: 'ms', dexec: p99, dockerd: percentile(b.latencies, 99), floor: null },
    graded ? '<=1.5x own p50' : '',
    graded ? p99 <= 1.5 * p50 : null,
  )
  row(
    { figure: `${name} rate`, unit: 'execs/s', dexec: a.rate, dockerd: b.rate, floor: null },
    graded ? '>=1.0x dockerd' : '',
    graded ? a.rate >= b.rate : null,
  )
}

function throughputRows(results: BenchResults, row: AddRow) {
  const { stdout, tty, stdin } = results
  if (stdout.dexec.length) {
    const [dexec, dockerd, floor] = [stdout.dexec, stdout.dockerd, stdout.floor].map(median) as [number, number, number]
    row({ figure: 'stdout non-TTY', unit: 'MiB/s', dexec, dockerd, floor }, '>=0.95x floor', dexec >= 0.95 * floor)
  }
  if (tty.dexec.length) {
    const [dexec, dockerd, floor] = [tty.dexec, tty.dockerd, tty.floor].map(median) as [number, number, number]
    const pass = dexec >= dockerd && dexec >= 0.95 * floor
    row({ figure: 'stdout TTY', unit: 'MiB/s', dexec, dockerd, floor }, '>=1.0x dockerd, >=0.95x floor', pass)
  }
  if (stdin.dexec.length) {
    const [dexec, dockerd] = [stdin.dexec, stdin.dockerd].map(median) as [number, number]
    row({ figure: 'stdin', unit: 'MiB/s', dexec, dockerd, floor: null }, '>=1.0x dockerd', dexec >= dockerd)
  }
}

function rssRows(results: BenchResults, row: AddRow) {
  const { idle, peak } = results.rss
  row({ figure: 'RSS idle', unit: 'MB', dexec: idle.dexec / MB, dockerd: idle.dockerd / MB, floor: null }, '<=55', idle.dexec / MB <= 55)
  for (const [figure, values] of Object.entries(peak)) {
    const graded = figure === 'concurrent-128'
    row(
      { figure: `RSS peak ${figure}`, unit: 'MB', dexec: values.dexec / MB, dockerd: values.dockerd / MB, floor: null },
      graded ? '<dockerd' : '',
      graded ? values.dexec < values.dockerd : null,
    )
  }
  const { stalled } = results
  if (stalled.dexec.length) {
    const max = (list: StalledGrowth[], key: keyof StalledGrowth) => Math.max(...list.map((g) => g[key])) / MB
    for (const key of ['stall', 'total'] as const) {
      const dexec = max(stalled.dexec, key)
      const r = { figure: `RSS growth stalled reader (${key})`, unit: 'MB', dexec, dockerd: max(stalled.dockerd, key), floor: null }
      row(r, '<32', dexec < 32)
    }
  }
}

/** Formats the rows as a fixed-width text table. */
export function formatTable(rows: Row[]): string {
  const header = ['figure', 'unit', 'dexec', 'dockerd', 'ratio', 'floor', 'target', 'result']
  const lines = rows.map((r) => [
    r.figure,
    r.unit,
    format(r.dexec),
    format(r.dockerd),
    r.dockerd > 0 ? `${(r.dexec / r.dockerd).toFixed(2)}x` : '-',
    r.floor === null ? '-' : format(r.floor),
    r.target || '-',
    verdict(r.pass),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const render = (cells: string[]) => cells.map((c, i) => (i < 2 || i >= 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n')
}

function verdict(pass: boolean | null): string {
  if (pass === null) return '-'
  return pass ? 'pass' : 'FAIL'
}

function format(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (Number.isInteger(value)) return String(value)
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2)
}
