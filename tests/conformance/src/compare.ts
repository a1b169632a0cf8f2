// Runs one scenario on both servers and compares what the two probes recorded, key by key.

import { appendFileSync } from 'node:fs'

import { expect } from 'vitest'

import { Normalizer } from './normalize.js'
import { Probe } from './probe.js'
import type { ConformanceStack, Side } from './stack.js'

/**
 * A known difference between dockerd 20.10 and dexec that the spec allows, on observation `key`.
 * With `dockerd` and `dexec`, the whole value must be exactly that on each side and is left out
 * of the comparison. With `part`, each side's value (a string, or a string of an array) must
 * contain its text. dexec's text is then replaced with dockerd's, and the rest is compared.
 */
export type ExpectedDifference =
  | { key: string; spec: string; dockerd: unknown; dexec: unknown }
  | { key: string; spec: string; part: { dockerd: string; dexec: string } }

/** The steps of a scenario, run once per side with that side's probe. */
export type Scenario = (probe: Probe) => Promise<void>

/** Runs `scenario` on both sides at once and asserts that they observed the same values. */
export async function compareSides(
  stack: ConformanceStack,
  scenario: Scenario,
  differences: ExpectedDifference[] = [],
): Promise<void> {
  const [dockerd, dexec] = await Promise.all([
    observe(stack.dockerd, scenario),
    observe(stack.dexec, scenario),
  ])
  const dumpPath = process.env.CONFORMANCE_DUMP
  if (dumpPath) {
    const test = expect.getState().currentTestName
    const record = { test, dockerd: Object.fromEntries(dockerd), dexec: Object.fromEntries(dexec) }
    appendFileSync(dumpPath, `${JSON.stringify(record)}\n`)
  }
  assertSame(dockerd, dexec, differences)
}

async function observe(side: Side, scenario: Scenario): Promise<Map<string, unknown>> {
  const probe = new Probe(side, new Normalizer(side))
  try {
    await scenario(probe)
  } catch (error) {
    // What the side did until the failure is part of the report.
    const recorded = JSON.stringify(Object.fromEntries(probe.observations), null, 2)
    const message = `${side.name}: ${(error as Error).message}\nrecorded so far: ${recorded}`
    throw new Error(message, { cause: error })
  }
  return probe.observations
}

function assertSame(
  dockerd: Map<string, unknown>,
  dexec: Map<string, unknown>,
  differences: ExpectedDifference[],
): void {
  const skipped = new Set<string>()
  for (const difference of differences) {
    const { key, spec } = difference
    if ('part' in difference) {
      const { dockerd: dockerdPart, dexec: dexecPart } = difference.part
      const onDockerd = dockerd.get(key)
      const onDexec = dexec.get(key)
      expect
        .soft(onDockerd, `dockerd ${key}, expected difference (${spec})`)
        .toEqual(containing(onDockerd, dockerdPart))
      expect
        .soft(onDexec, `dexec ${key}, expected difference (${spec})`)
        .toEqual(containing(onDexec, dexecPart))
      dexec.set(key, replacePart(onDexec, dexecPart, dockerdPart))
      continue
    }
    expect
      .soft(dockerd.get(key), `dockerd ${key}, expected difference (${spec})`)
      .toEqual(difference.dockerd)
    expect
      .soft(dexec.get(key), `dexec ${key}, expected difference (${spec})`)
      .toEqual(difference.dexec)
    skipped.add(key)
  }
  const keys = new Set([...dockerd.keys(), ...dexec.keys()])
  for (const key of keys) {
    if (skipped.has(key)) continue
    const message = `${key}: dexec (received) against dockerd (expected)`
    expect.soft(dexec.get(key), message).toEqual(dockerd.get(key))
  }
}

/** Returns a matcher for a string containing `part`, or for an array with such a string. */
function containing(value: unknown, part: string): unknown {
  if (Array.isArray(value)) return expect.arrayContaining([expect.stringContaining(part)])
  return expect.stringContaining(part)
}

function replacePart(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.replaceAll(from, to)
  if (!Array.isArray(value)) return value
  return value.map((item) => (typeof item === 'string' ? item.replaceAll(from, to) : item))
}
