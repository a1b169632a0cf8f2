import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { describe, expect, it } from 'vitest'

import { classifyExitCode, ServerMetrics } from './metrics.js'

interface Family {
  name: string
  metrics: { value?: string; count?: string; labels?: Record<string, string> }[]
}

async function valueOf(metrics: ServerMetrics, name: string, labels: Record<string, string> = {}) {
  const families = parsePrometheusTextFormat(await metrics.render()) as Family[]
  const family = families.find((f) => f.name === name)
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  return Number(sample?.value ?? sample?.count)
}

// The observer hooks only read the record's id.
const record = (id: string) => ({ id }) as never

describe('classifyExitCode', () => {
  it.each([
    [0, 'zero'],
    [1, 'nonzero'],
    [128, 'nonzero'],
    [129, 'signal'],
    [137, 'signal'],
    [192, 'signal'],
    [193, 'nonzero'],
    [255, 'nonzero'],
  ])('classifies %i as %s', (code, expected) => {
    expect(classifyExitCode(code)).toBe(expected)
  })
})

describe('ServerMetrics', () => {
  it('keeps two instances apart in one process', async () => {
    const first = new ServerMetrics()
    const second = new ServerMetrics()
    first.observer.streamBytes!('e1', 'out', 10)
    expect(await valueOf(first, 'dexec_stream_bytes_total', { direction: 'out' })).toBe(10)
    expect(await valueOf(second, 'dexec_stream_bytes_total', { direction: 'out' })).toBe(0)
  })

  it('includes the default process metrics', async () => {
    const text = await new ServerMetrics().render()
    expect(text).toContain('# TYPE process_cpu_seconds_total counter')
  })

  it('counts deleted and expired records as collected', async () => {
    const metrics = new ServerMetrics()
    metrics.observer.gcCollected!({ marked: 4, removed: 2, expired: 1 })
    expect(await valueOf(metrics, 'dexec_gc_collected_total')).toBe(3)
  })

  it('counts containerd reconnects', async () => {
    const metrics = new ServerMetrics()
    metrics.observer.containerdReconnected!()
    metrics.observer.containerdReconnected!()
    expect(await valueOf(metrics, 'dexec_containerd_reconnects_total')).toBe(2)
  })

  it('observes the start time once the pid is known', async () => {
    const metrics = new ServerMetrics()
    metrics.observer.execChanged!(record('e1'), 'started')
    metrics.observer.execChanged!(record('e1'), 'pid')
    metrics.observer.execChanged!(record('e1'), 'pid')
    expect(await valueOf(metrics, 'dexec_exec_start_seconds')).toBe(1)
  })

  it('counts a failed start as start_failure and not in the histogram', async () => {
    const metrics = new ServerMetrics()
    metrics.observer.execChanged!(record('e2'), 'started')
    metrics.observer.execChanged!(record('e2'), 'start-failed')
    expect(await valueOf(metrics, 'dexec_execs_finished_total', { class: 'start_failure' })).toBe(1)
    expect(await valueOf(metrics, 'dexec_exec_start_seconds')).toBe(0)
  })

  it('reports no running execs before it tracks a service', async () => {
    expect(await valueOf(new ServerMetrics(), 'dexec_execs_running')).toBe(0)
  })
})
