import { parseArgs } from 'node:util'

import { startServer } from '@dexec/server'
import pino from 'pino'

const DEFAULT_CONTAINERD = '/run/containerd/containerd.sock'
const DEFAULT_STATE_DIR = '/run/dexec'

export const serveUsage = `Usage:  dexec serve [OPTIONS]

Serve the Docker Engine exec API for the containers of one containerd namespace.

Options:
      --containerd string   containerd socket (default "${DEFAULT_CONTAINERD}",
                            or $CONTAINERD_ADDRESS)
  -n, --namespace string    containerd namespace (default "default", or $CONTAINERD_NAMESPACE)
  -H, --host string         address to listen on: unix:///PATH or tcp://127.0.0.1:PORT
                            (default "unix:///run/dexec.sock")
      --state-dir string    directory for the FIFOs of running execs (default "${DEFAULT_STATE_DIR}")
      --keep-on-disconnect  leave an attached process running when its client goes away
                            (Docker's behaviour); by default it is killed
      --shutdown-timeout n  seconds that attached streams get to finish on SIGINT or SIGTERM
                            before they are cut (default 10)
      --exec-gc-interval n  seconds between passes of the GC of finished execs; a finished
                            exec stays inspectable for one to two intervals (default 300)
      --exec-timeout n      seconds an exec may run when its create request sets no Timeout;
                            at the deadline it gets SIGTERM (default 0, no deadline)
      --exec-timeout-grace n
                            seconds between SIGTERM and SIGKILL at an exec's deadline (default 10)
      --log-level string    log level: fatal, error, warn, info, debug, trace (default "warn")
      --audit-log string    write a JSON line at the start and at the end of each exec to
                            this file (default: no audit log)
      --audit-log-max-size n
                            size in MB at which the audit log is rotated; five rotated files
                            are kept (default 100)
  -h, --help                print this help
`

/** Runs `dexec serve` until SIGINT or SIGTERM. */
export async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      containerd: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      host: { type: 'string', short: 'H' },
      'state-dir': { type: 'string' },
      'keep-on-disconnect': { type: 'boolean' },
      'exec-gc-interval': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
      'exec-timeout': { type: 'string' },
      'exec-timeout-grace': { type: 'string' },
      'log-level': { type: 'string' },
      'audit-log': { type: 'string' },
      'audit-log-max-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(serveUsage)
    return 0
  }
  const gcSeconds = Number(values['exec-gc-interval'] ?? 300)
  if (!Number.isInteger(gcSeconds) || gcSeconds < 1) {
    throw new Error(`invalid --exec-gc-interval ${values['exec-gc-interval']}: expected a whole number of seconds >= 1`)
  }
  const shutdownSeconds = Number(values['shutdown-timeout'] ?? 10)
  if (!Number.isFinite(shutdownSeconds) || shutdownSeconds < 0) {
    throw new Error(`invalid --shutdown-timeout ${values['shutdown-timeout']}: expected seconds >= 0`)
  }
  const auditLogMaxSizeMb = Number(values['audit-log-max-size'] ?? 100)
  if (!Number.isFinite(auditLogMaxSizeMb) || auditLogMaxSizeMb <= 0) {
    throw new Error(`invalid --audit-log-max-size ${values['audit-log-max-size']}: expected megabytes > 0`)
  }
  const execTimeout = parseSeconds('--exec-timeout', values['exec-timeout'], 0)
  const execTimeoutGrace = parseSeconds('--exec-timeout-grace', values['exec-timeout-grace'], 10)
  const logger = pino({ level: values['log-level'] ?? 'warn' }, pino.destination(2))
  const server = await startServer({
    containerd: values.containerd ?? process.env.CONTAINERD_ADDRESS ?? DEFAULT_CONTAINERD,
    namespace: values.namespace ?? process.env.CONTAINERD_NAMESPACE ?? 'default',
    host: values.host ?? 'unix:///run/dexec.sock',
    stateDir: values['state-dir'] ?? DEFAULT_STATE_DIR,
    killOnDisconnect: !values['keep-on-disconnect'],
    gcIntervalMs: gcSeconds * 1000,
    execTimeoutSeconds: execTimeout,
    execTimeoutGraceSeconds: execTimeoutGrace,
    logger,
    auditLog: values['audit-log'],
    auditLogMaxSizeMb,
  })
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  logger.info({ graceSeconds: shutdownSeconds }, 'shutting down')
  await server.close(shutdownSeconds * 1000)
  return 0
}

/** Parses a flag of whole seconds >= 0, `fallback` when absent. */
function parseSeconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const seconds = Number(text)
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(seconds)) {
    throw new Error(`invalid ${flag} ${text}: expected a whole number of seconds >= 0`)
  }
  return seconds
}
