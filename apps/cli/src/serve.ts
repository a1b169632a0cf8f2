import { parseArgs } from 'node:util'

import { startServer, tlsFromFlags } from '@dexec/server'
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
      --group string        group (name or gid) that gets the unix socket, mode 0660
      --tlsverify           serve HTTPS and require client certificates signed by --tlscacert;
                            needed to listen on a TCP address that is not loopback
      --tlscacert string    PEM file of the CA that signs client certificates
      --tlscert string      PEM file of the server certificate
      --tlskey string       PEM file of the server key
      --headers-timeout n   seconds a client has to send its request headers (default 10)
      --state-dir string    directory for the FIFOs of running execs (default "${DEFAULT_STATE_DIR}")
      --keep-on-disconnect  leave an attached process running when its client goes away
                            (Docker's behaviour); by default it is killed
      --shutdown-timeout n  seconds that attached streams get to finish on SIGINT or SIGTERM
                            before they are cut (default 10)
      --exec-gc-interval n  seconds between passes of the GC of finished execs; a finished
                            exec stays inspectable for one to two intervals (default 300)
      --log-level string    log level: fatal, error, warn, info, debug, trace (default "warn")
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
      group: { type: 'string' },
      tlsverify: { type: 'boolean' },
      tlscacert: { type: 'string' },
      tlscert: { type: 'string' },
      tlskey: { type: 'string' },
      'headers-timeout': { type: 'string' },
      'keep-on-disconnect': { type: 'boolean' },
      'exec-gc-interval': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
      'log-level': { type: 'string' },
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
  const headersSeconds = Number(values['headers-timeout'] ?? 10)
  if (!Number.isFinite(headersSeconds) || headersSeconds <= 0) {
    throw new Error(`invalid --headers-timeout ${values['headers-timeout']}: expected seconds > 0`)
  }
  const logger = pino({ level: values['log-level'] ?? 'warn' }, pino.destination(2))
  const server = await startServer({
    containerd: values.containerd ?? process.env.CONTAINERD_ADDRESS ?? DEFAULT_CONTAINERD,
    namespace: values.namespace ?? process.env.CONTAINERD_NAMESPACE ?? 'default',
    host: values.host ?? 'unix:///run/dexec.sock',
    stateDir: values['state-dir'] ?? DEFAULT_STATE_DIR,
    killOnDisconnect: !values['keep-on-disconnect'],
    gcIntervalMs: gcSeconds * 1000,
    socketGroup: values.group,
    tls: tlsFromFlags(values),
    headersTimeoutMs: headersSeconds * 1000,
    logger,
  })
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  logger.info({ graceSeconds: shutdownSeconds }, 'shutting down')
  await server.close(shutdownSeconds * 1000)
  return 0
}
