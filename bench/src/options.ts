// Options of a bench run, from the command line and BENCH_* environment variables.

import { parseArgs } from 'node:util'

import type { BenchOptions } from './run.js'

const MIB = 1024 * 1024

/** Help text of `pnpm bench`. */
export const usage = `Usage:  pnpm bench [-- OPTIONS]

Measures dexec and dockerd side by side on one private containerd.

Options:
      --quick              small sizes and few repetitions (a smoke run)
      --stdout-mib n       MiB of non-TTY stdout per run (default 1024; quick 8)
      --tty-mib n          MiB of TTY output per run (default 256; quick 4)
      --stdin-mib n        MiB written to stdin per run (default 512; quick 4)
      --stalled-mib n      MiB fed to the stalled reader (default 1024; quick 8)
      --stall-ms n         how long the stalled reader reads nothing, in ms (default 5000; quick 300)
      --roundtrips n       sequential roundtrips per server (default 200; quick 5)
      --repetitions n      runs of each throughput figure per server (default 3; quick 1)
      --concurrency list   comma-separated concurrency levels (default 32,128,256; quick 4,8)
      --rounds n           roundtrips per concurrent worker (default 2; quick 1)
      --only list          measure only these figures: roundtrip,concurrent,stdout,tty,stdin,stalled
      --cpu-prof dir       write a V8 CPU profile of dexec into dir
      --node-flags=list    space-separated Node options for the dexec process, given in
                           NODE_OPTIONS, such as --node-flags="--max-semi-space-size=1"
  -h, --help               print this help

Each option also reads an environment variable: BENCH_STDOUT_MIB, BENCH_TTY_MIB, ...
(the option name in upper case with BENCH_ in front and dashes as underscores).
`

const numberOptions = ['stdout-mib', 'tty-mib', 'stdin-mib', 'stalled-mib', 'stall-ms', 'roundtrips', 'repetitions', 'rounds'] as const

/** Parses the command line and the BENCH_* variables into the options of a run. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | null {
  const stringOption = { type: 'string' } as const
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      concurrency: stringOption,
      only: stringOption,
      'cpu-prof': stringOption,
      'node-flags': stringOption,
      ...Object.fromEntries(numberOptions.map((name) => [name, stringOption])),
    },
    strict: true,
  })
  if (values.help) return null
  const quick = values.quick === true || env.BENCH_QUICK === '1'
  const lookup = (name: string): string | undefined =>
    (values as Record<string, string | undefined>)[name] ?? env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`]
  const count = (name: (typeof numberOptions)[number], full: number, small: number) => {
    const text = lookup(name)
    let value = quick ? small : full
    if (text !== undefined) value = Number(text)
    if (!Number.isInteger(value) || value < 1) throw new Error(`invalid --${name} ${text}: expected a whole number >= 1`)
    return value
  }
  const list = (text: string) => text.split(',').map((item) => item.trim()).filter(Boolean)
  const concurrency = list(lookup('concurrency') ?? (quick ? '4,8' : '32,128,256')).map(Number)
  if (concurrency.some((level) => !Number.isInteger(level) || level < 1)) {
    throw new Error(`invalid --concurrency ${lookup('concurrency')}: expected whole numbers >= 1`)
  }
  const only = lookup('only')
  return {
    sizes: {
      stdout: count('stdout-mib', 1024, 8) * MIB,
      tty: count('tty-mib', 256, 4) * MIB,
      stdin: count('stdin-mib', 512, 4) * MIB,
      stalled: count('stalled-mib', 1024, 8) * MIB,
    },
    roundtrips: count('roundtrips', 200, 5),
    repetitions: count('repetitions', 3, 1),
    concurrency,
    concurrentRounds: count('rounds', 2, 1),
    stallMs: count('stall-ms', 5000, 300),
    ...(lookup('cpu-prof') ? { cpuProfileDir: lookup('cpu-prof') } : {}),
    nodeFlags: (lookup('node-flags') ?? '').split(' ').filter(Boolean),
    ...(only ? { only: list(only) } : {}),
  }
}
