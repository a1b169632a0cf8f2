// `pnpm bench`: runs the bench, prints the results table and writes the raw numbers as JSON to
// bench/results/<timestamp>.json.

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { buildRows, formatTable } from './report.js'
import { parseOptions, usage } from './options.js'
import { runBench } from './run.js'

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url))

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2).filter((arg) => arg !== '--'))
  if (!options) {
    process.stdout.write(usage)
    return 0
  }
  const results = await runBench(options, (line) => process.stderr.write(`bench: ${line}\n`))
  process.stdout.write(`${formatTable(buildRows(results))}\n`)
  process.stdout.write(`load average before ${results.machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${results.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')}\n`)
  await mkdir(resultsDir, { recursive: true })
  const path = join(resultsDir, `${results.date.replace(/[:.]/g, '-')}.json`)
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`raw numbers: ${path}\n`)
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`bench: ${error.stack ?? error.message}\n`)
    process.exit(1)
  },
)
