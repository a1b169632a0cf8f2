#!/usr/bin/env node
import { serve } from './serve.js'

const usage = `Usage:  dexec COMMAND

Docker's exec for containerd containers.

Commands:
  serve       Serve the Docker Engine exec API

Run 'dexec COMMAND --help' for more information on a command.
`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve':
      return serve(rest)
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(usage)
      return command === undefined ? 1 : 0
    default:
      process.stderr.write(`dexec: '${command}' is not a dexec command.\nSee 'dexec --help'.\n`)
      return 1
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`dexec: ${err.message}\n`)
    process.exit(125)
  },
)
