import { Option, type Command } from 'commander'

/** Exit status of a failure of dexec itself, as Docker's CLI uses it. */
export const EXIT_DEXEC_ERROR = 125

/**
 * A failure of dexec itself (an invalid option, an unknown container,
 * containerd not reachable), printed as `dexec: <message>`.
 */
export class CliError extends Error {
  override readonly name = 'CliError'

  constructor(
    message: string,
    readonly exitCode = EXIT_DEXEC_ERROR,
    readonly code = 'DEXEC_CLI_ERROR',
  ) {
    super(message)
  }
}

/** One option as the help lists it and commander parses it. */
export interface FlagSpec {
  long: string
  short?: string
  /** The value's name, such as `string` or `list`; absent for a switch. */
  valueName?: string
  help: string
  default?: string | number | boolean
  /** The value may be given several times; the values are collected in a list. */
  repeatable?: boolean
  /** The environment variable that sets the option, shown in the help. */
  env?: string
}

/** The text of `--help`, in the layout of Docker's CLI. */
export interface HelpText {
  usage: string
  description: string
  flags: readonly FlagSpec[]
  /** Extra paragraphs after the options. */
  notes?: string
}

const HELP_FLAG: FlagSpec = { long: 'help', short: 'h', help: 'Print usage' }

/** Formats a command's help: a Usage line, a one-line description, then the options. */
export function formatHelp(text: HelpText): string {
  const rows = [...text.flags, HELP_FLAG].map((flag) => {
    const names = `${flag.short ? `-${flag.short}, ` : '    '}--${flag.long}`
    return { left: flag.valueName ? `${names} ${flag.valueName}` : names, right: describe(flag) }
  })
  const width = Math.max(...rows.map((row) => row.left.length)) + 3
  const lines = rows.map((row) => `  ${row.left.padEnd(width)}${row.right}`)
  const notes = text.notes ? `\n${text.notes.trimEnd()}\n` : ''
  return `Usage:  ${text.usage}\n\n${text.description}\n\nOptions:\n${lines.join('\n')}\n${notes}`
}

function describe(flag: FlagSpec): string {
  let text = flag.help
  if (flag.default !== undefined && flag.default !== false) {
    text +=
      typeof flag.default === 'string'
        ? ` (default "${flag.default}")`
        : ` (default ${flag.default})`
  }
  if (flag.env) text += ` [$${flag.env}]`
  return text
}

/**
 * Adds the flags to a commander command, with no commander defaults, so
 * that an absent flag reads as undefined and lower sources can apply.
 */
export function addFlags(command: Command, flags: readonly FlagSpec[]): Command {
  for (const flag of flags) {
    const names = `${flag.short ? `-${flag.short}, ` : ''}--${flag.long}`
    const option = new Option(flag.valueName ? `${names} <${flag.valueName}>` : names, flag.help)
    if (flag.repeatable)
      option.argParser((value: string, previous: string[] | undefined) => [
        ...(previous ?? []),
        value,
      ])
    command.addOption(option)
  }
  return command
}

/**
 * Makes a command print Docker-style help and report parse errors as
 * `dexec: <message>` with exit status 125 instead of exiting on its own.
 */
export function useDockerHelp(command: Command, text: HelpText): Command {
  command.helpOption('-h, --help', 'Print usage')
  command.helpInformation = () => formatHelp(text)
  command.exitOverride()
  command.configureOutput({
    writeErr: (message) => process.stderr.write(message),
    outputError: () => {},
  })
  return command
}

/** Prints a failure as the Docker CLI does and returns its exit status. */
export function reportFailure(err: unknown, commandName: string): number {
  if (err instanceof CliError) {
    process.stderr.write(`dexec: ${err.message}\n`)
    return err.exitCode
  }
  const commanderError = err as { code?: string; exitCode?: number; message?: string }
  if (
    commanderError.code === 'commander.helpDisplayed' ||
    commanderError.code === 'commander.version'
  ) {
    return 0
  }
  if (typeof commanderError.code === 'string' && commanderError.code.startsWith('commander.')) {
    const message = (commanderError.message ?? '').replace(/^error: /, '')
    process.stderr.write(`dexec: ${message}\nSee 'dexec ${commandName} --help'.\n`)
    return EXIT_DEXEC_ERROR
  }
  process.stderr.write(`dexec: ${(err as Error)?.message ?? String(err)}\n`)
  return EXIT_DEXEC_ERROR
}
