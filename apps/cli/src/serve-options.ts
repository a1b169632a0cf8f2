import { existsSync, readFileSync } from 'node:fs'

import type { ServerOptions } from '@dexec/server'
import { z } from 'zod'

import { CliError } from './help.js'

/** The type of an option's value, which decides how flag and environment text is converted. */
export type OptionKind = 'string' | 'integer' | 'number' | 'boolean'

type OptionValue = string | number | boolean

/** One option of `dexec serve`: its flag, environment variable, config file key and check. */
export interface ServeOption {
  /** The long flag without dashes; also the config file key. */
  name: string
  short?: string
  /** The environment variable; DEXEC_ and the name in capitals unless set. */
  env?: string
  kind: OptionKind
  default?: OptionValue
  /** The value's name in the help, such as `string` or `seconds`. */
  valueName?: string
  help: string
  /** Checks the value after it is converted to its kind. */
  schema?: z.ZodType<OptionValue, OptionValue>
  /** Copies the value into the options of startServer. */
  apply?(value: OptionValue, options: ServerOptions): void
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** The default config file, read only when it exists. */
export const DEFAULT_CONFIG_PATH = '/etc/dexec/config.json'

/**
 * The options of `dexec serve`, one entry each. Flags, environment variables
 * and the config file are all derived from this table.
 */
export const SERVE_OPTIONS: ServeOption[] = [
  {
    name: 'containerd',
    env: 'CONTAINERD_ADDRESS',
    kind: 'string',
    default: '/run/containerd/containerd.sock',
    help: 'containerd socket path',
    apply: (value, options) => (options.containerd = String(value)),
  },
  {
    name: 'namespace',
    short: 'n',
    env: 'CONTAINERD_NAMESPACE',
    kind: 'string',
    default: 'default',
    help: 'containerd namespace of the containers (k8s.io for Kubernetes)',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-"'),
    apply: (value, options) => (options.namespace = String(value)),
  },
  {
    name: 'host',
    short: 'H',
    kind: 'string',
    default: 'unix:///run/dexec.sock',
    help: 'address to listen on: unix:///PATH (mode 0660), tcp://127.0.0.1:PORT, or fd:// for the socket that systemd passes',
    schema: z
      .string()
      .regex(/^(unix:\/\/\/|tcp:\/\/|fd:\/\/)/, 'expected unix:///PATH, tcp://HOST:PORT or fd://'),
    apply: (value, options) => (options.host = String(value)),
  },
  {
    name: 'group',
    kind: 'string',
    valueName: 'string',
    help: 'group (name or gid) that owns the unix socket (default: the group of the process)',
    apply: (value, options) => (options.socketGroup = String(value)),
  },
  {
    name: 'tlsverify',
    kind: 'boolean',
    default: false,
    help: 'serve HTTPS and accept only clients with a certificate signed by --tlscacert; needed for a TCP address that is not loopback',
  },
  {
    name: 'tlscacert',
    kind: 'string',
    valueName: 'path',
    help: 'PEM file of the CA that signs the client certificates',
  },
  { name: 'tlscert', kind: 'string', valueName: 'path', help: 'PEM file of the server certificate' },
  { name: 'tlskey', kind: 'string', valueName: 'path', help: 'PEM file of the server key' },
  {
    name: 'headers-timeout',
    kind: 'number',
    default: 10,
    valueName: 'seconds',
    help: 'time a client has to send its request headers',
    schema: z.number().gt(0, 'expected seconds > 0'),
    apply: (value, options) => (options.headersTimeoutMs = Number(value) * 1000),
  },
  {
    name: 'state-dir',
    kind: 'string',
    default: '/run/dexec',
    help: 'directory for the FIFOs of running execs and the exec records (execs.db)',
    schema: z.string().startsWith('/', 'expected an absolute path'),
    apply: (value, options) => (options.stateDir = String(value)),
  },
  {
    name: 'keep-on-disconnect',
    kind: 'boolean',
    default: false,
    help: "leave an attached process running when its client goes away (Docker's behaviour)",
    apply: (value, options) => (options.killOnDisconnect = !value),
  },
  {
    name: 'shutdown-timeout',
    kind: 'number',
    default: 10,
    valueName: 'seconds',
    help: 'time that attached streams get to finish on SIGINT or SIGTERM',
    schema: z.number().min(0, 'expected seconds >= 0'),
  },
  {
    name: 'exec-gc-interval',
    kind: 'integer',
    default: 300,
    valueName: 'seconds',
    help: 'interval of the GC of finished execs; one stays inspectable for one to two intervals',
    schema: z.number().int().min(1, 'expected a whole number of seconds >= 1'),
    apply: (value, options) => (options.gcIntervalMs = Number(value) * 1000),
  },
  {
    name: 'exec-timeout',
    kind: 'integer',
    default: 0,
    valueName: 'seconds',
    help: 'deadline of an exec whose create request sets no Timeout; 0 means none, else the process gets SIGTERM at it',
    schema: z.number().int().min(0, 'expected a whole number of seconds >= 0'),
    apply: (value, options) => (options.execTimeoutSeconds = Number(value)),
  },
  {
    name: 'exec-timeout-grace',
    kind: 'integer',
    default: 10,
    valueName: 'seconds',
    help: "time between SIGTERM and SIGKILL at an exec's deadline",
    schema: z.number().int().min(0, 'expected a whole number of seconds >= 0'),
    apply: (value, options) => (options.execTimeoutGraceSeconds = Number(value)),
  },
  {
    name: 'audit-log',
    kind: 'string',
    valueName: 'path',
    help: 'file that gets a JSON line at the start and at the end of each exec (default: none)',
    schema: z.string().startsWith('/', 'expected an absolute path'),
    apply: (value, options) => (options.auditLog = String(value)),
  },
  {
    name: 'audit-log-max-size',
    kind: 'number',
    default: 100,
    valueName: 'MB',
    help: 'size at which the audit log is rotated; five rotated files are kept',
    schema: z.number().gt(0, 'expected megabytes > 0'),
    apply: (value, options) => (options.auditLogMaxSizeMb = Number(value)),
  },
  {
    name: 'log-level',
    kind: 'string',
    default: 'warn',
    help: `log level: ${LOG_LEVELS.join(', ')}; pino JSON lines on stderr`,
    schema: z.enum(LOG_LEVELS),
  },
]

/** The sources of option values, in order of precedence. */
export interface OptionSources {
  flags: Record<string, unknown>
  env: NodeJS.ProcessEnv
  /** Path given by --config or DEXEC_CONFIG; the default file is read only when it exists. */
  configPath?: string
}

/** Returns the environment variable of an option. */
export function envNameOf(option: ServeOption): string {
  return option.env ?? `DEXEC_${option.name.toUpperCase().replaceAll('-', '_')}`
}

/**
 * Resolves every option: flag, then environment variable, then config file,
 * then default. Throws a CliError (exit status 125) naming the option and
 * the value that is invalid. `origins`, when given, receives where each
 * value came from: the flag, the variable, the file or `default`.
 */
export function resolveServeOptions(
  table: readonly ServeOption[],
  sources: OptionSources,
  origins: Record<string, string> = {},
): Record<string, OptionValue | undefined> {
  const file = readConfigFile(table, sources.configPath)
  const resolved: Record<string, OptionValue | undefined> = {}
  for (const option of table) {
    const flag = sources.flags[camelCase(option.name)]
    const envName = envNameOf(option)
    const env = sources.env[envName]
    let origin: string
    let raw: unknown
    if (flag !== undefined) [origin, raw] = [`--${option.name}`, flag]
    else if (env !== undefined && env !== '') [origin, raw] = [envName, env]
    else if (file.values[option.name] !== undefined)
      [origin, raw] = [`"${option.name}" in ${file.path}`, file.values[option.name]]
    else [origin, raw] = ['default', undefined]
    resolved[option.name] = origin === 'default' ? option.default : convert(option, raw, origin)
    origins[option.name] = origin
  }
  return resolved
}

/** Builds the options of startServer from resolved values. */
export function toServerOptions(
  table: readonly ServeOption[],
  values: Record<string, OptionValue | undefined>,
): ServerOptions {
  const options: ServerOptions = { containerd: '', namespace: '', host: '', stateDir: '' }
  for (const option of table) {
    const value = values[option.name]
    if (value !== undefined) option.apply?.(value, options)
  }
  return options
}

function readConfigFile(
  table: readonly ServeOption[],
  path: string | undefined,
): { path: string; values: Record<string, unknown> } {
  const configPath = path ?? DEFAULT_CONFIG_PATH
  if (path === undefined && !existsSync(configPath)) return { path: configPath, values: {} }
  let decoded: unknown
  try {
    decoded = JSON.parse(readFileSync(configPath, 'utf8'))
  } catch (err) {
    throw new CliError(`invalid config file ${configPath}: ${(err as Error).message}`)
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new CliError(`invalid config file ${configPath}: expected a JSON object`)
  }
  const known = new Set(table.map((option) => option.name))
  for (const key of Object.keys(decoded)) {
    if (!known.has(key))
      throw new CliError(`invalid config file ${configPath}: unknown option "${key}"`)
  }
  return { path: configPath, values: decoded as Record<string, unknown> }
}

/** Converts a flag, environment or JSON value to the option's kind and checks it. */
function convert(option: ServeOption, raw: unknown, source: string): OptionValue {
  const parsed = baseSchema(option.kind)
    .pipe(option.schema ?? z.any())
    .safeParse(raw)
  if (!parsed.success) {
    const reason = parsed.error.issues[0]?.message ?? 'invalid value'
    throw new CliError(`invalid value ${JSON.stringify(raw)} for ${source}: ${reason}`)
  }
  return parsed.data as OptionValue
}

function baseSchema(kind: OptionKind): z.ZodType<OptionValue> {
  switch (kind) {
    case 'string':
      return z.string({ error: 'expected a string' })
    case 'boolean':
      return z.union(
        [
          z.boolean(),
          z.enum(['true', 'false', '1', '0']).transform((text) => text === 'true' || text === '1'),
        ],
        { error: 'expected true or false' },
      )
    case 'integer':
    case 'number': {
      const numeric = z.union(
        [
          z.number(),
          z
            .string()
            .regex(/^-?\d+(\.\d+)?$/)
            .transform(Number),
        ],
        {
          error: 'expected a number',
        },
      )
      return kind === 'integer' ? numeric.pipe(z.number().int('expected a whole number')) : numeric
    }
  }
}

/** Converts `exec-gc-interval` to commander's key `execGcInterval`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
}
