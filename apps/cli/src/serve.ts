import { Command } from 'commander'
import pino, { type Logger } from 'pino'

import { addFlags, CliError, formatHelp, useDockerHelp, type FlagSpec } from './help.js'
import {
  DEFAULT_CONFIG_PATH,
  envNameOf,
  resolveServeOptions,
  SERVE_OPTIONS,
  toServerOptions,
  type ServeOption,
} from './serve-options.js'

const CONFIG_FLAG: FlagSpec = {
  long: 'config',
  valueName: 'string',
  help: `JSON config file whose keys are the flag names (default "${DEFAULT_CONFIG_PATH}" if it exists)`,
  env: 'DEXEC_CONFIG',
}

function flagOf(option: ServeOption): FlagSpec {
  const flag: FlagSpec = { long: option.name, help: option.help, env: envNameOf(option) }
  if (option.short) flag.short = option.short
  if (option.kind !== 'boolean') flag.valueName = option.valueName ?? (option.kind === 'string' ? 'string' : 'int')
  if (option.default !== undefined) flag.default = option.default
  return flag
}

const SERVE_NOTES = `A flag wins over its environment variable, which wins over the config file.
Under systemd socket activation (LISTEN_FDS) dexec still binds --host itself.
`

const SERVE_HELP = {
  usage: 'dexec serve [OPTIONS]',
  description: 'Serve the Docker Engine exec API for the containers of one containerd namespace',
  flags: [CONFIG_FLAG, ...SERVE_OPTIONS.map(flagOf)],
  notes: SERVE_NOTES,
}

/** The help text of `dexec serve`, generated from the option table. */
export const serveUsage = formatHelp(SERVE_HELP)

/** Builds the `serve` command; its action stores the exit status in `result`. */
export function serveCommand(result: { code: number }): Command {
  const command = new Command('serve')
  useDockerHelp(command, SERVE_HELP)
  addFlags(command, SERVE_HELP.flags)
  command.allowExcessArguments(false)
  command.action(async () => {
    // Global flags given before `serve` (--containerd, -n) count as its own.
    result.code = await runServe(command.optsWithGlobals(), process.env)
  })
  return command
}

/**
 * Runs `dexec serve` until SIGINT or SIGTERM with options from flags, the
 * environment and the config file; resolves to the exit status.
 */
export async function runServe(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<number> {
  const configPath = (flags.config as string | undefined) ?? (env.DEXEC_CONFIG || undefined)
  const origins: Record<string, string> = {}
  const values = resolveServeOptions(SERVE_OPTIONS, { flags, env, configPath }, origins)
  const logger = pino({ level: String(values['log-level']) }, pino.destination(2))
  logger.info({ options: values, origins }, 'resolved the options')
  warnAboutSocketActivation(env, logger)
  const shutdownSeconds = Number(values['shutdown-timeout'])
  // The server and its HTTP stack load only here, so the other commands start faster.
  const { startServer } = await import('@dexec/server')
  let server
  try {
    server = await startServer({ ...toServerOptions(SERVE_OPTIONS, values), logger })
  } catch (err) {
    throw new CliError(`failed to start: ${(err as Error).message}`)
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  logger.info({ graceSeconds: shutdownSeconds }, 'shutting down')
  await server.close(shutdownSeconds * 1000)
  logger.info('stopped')
  return 0
}

/**
 * NOTE: systemd socket activation is not supported because the server binds
 * --host itself. A passed socket stays unused, so dexec logs a warning.
 */
function warnAboutSocketActivation(env: NodeJS.ProcessEnv, logger: Logger): void {
  if (env.LISTEN_FDS && env.LISTEN_PID === String(process.pid)) {
    logger.warn({ listenFds: env.LISTEN_FDS }, 'socket activation is not supported; binding --host instead')
  }
}
