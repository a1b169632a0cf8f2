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
  if (option.kind !== 'boolean')
    flag.valueName = option.valueName ?? (option.kind === 'string' ? 'string' : 'int')
  if (option.default !== undefined) flag.default = option.default
  return flag
}

const SERVE_NOTES = `A flag wins over its environment variable, which wins over the config file.
Under systemd socket activation, --host fd:// serves the passed socket (LISTEN_FDS).
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
export async function runServe(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const configPath = (flags.config as string | undefined) ?? (env.DEXEC_CONFIG || undefined)
  const origins: Record<string, string> = {}
  const values = resolveServeOptions(SERVE_OPTIONS, { flags, env, configPath }, origins)
  const logger = pino({ level: String(values['log-level']) }, pino.destination(2))
  logger.info({ options: values, origins }, 'resolved the options')
  checkSocketActivation(String(values.host), env, logger)
  const shutdownSeconds = Number(values['shutdown-timeout'])
  // The server and its HTTP stack load only here, so the other commands start faster.
  const { startServer, tlsFromFlags } = await import('@dexec/server')
  let server
  try {
    const tls = tlsFromFlags({
      tlsverify: values.tlsverify === true,
      tlscacert: values.tlscacert as string | undefined,
      tlscert: values.tlscert as string | undefined,
      tlskey: values.tlskey as string | undefined,
    })
    server = await startServer({ ...toServerOptions(SERVE_OPTIONS, values), tls, logger })
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
 * Checks that systemd passed a socket when --host is `fd://`, following
 * sd_listen_fds(3): LISTEN_PID names this process and LISTEN_FDS counts the
 * sockets from fd 3 on. The variables are removed so children do not inherit them.
 */
function checkSocketActivation(host: string, env: NodeJS.ProcessEnv, logger: Logger): void {
  const passed = env.LISTEN_PID === String(process.pid) ? Number(env.LISTEN_FDS ?? 0) : 0
  delete env.LISTEN_PID
  delete env.LISTEN_FDS
  delete env.LISTEN_FDNAMES
  if (host.startsWith('fd://')) {
    const fd = host === 'fd://' ? 3 : Number(host.slice('fd://'.length))
    if (!(fd >= 3 && fd < 3 + passed)) {
      throw new CliError(
        `invalid value "${host}" for --host: systemd passed no such socket (LISTEN_FDS=${passed})`,
      )
    }
  } else if (passed > 0) {
    logger.warn(
      { host, listenFds: passed },
      'systemd passed sockets, but --host is not fd://; they stay unused',
    )
  }
}
