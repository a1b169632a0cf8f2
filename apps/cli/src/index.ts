export {
  runExec,
  buildCreateRequest,
  readEnvFiles,
  type ExecFlags,
  type ExecStdio,
} from './exec.js'
export {
  runEvents,
  parseFilterFlags,
  parseTime,
  eventJson,
  eventText,
  type EventsFlags,
} from './events.js'
export { runInspect, runPs, formatTable, type ContainerRow } from './containers.js'
export {
  resolveConnection,
  openService,
  type Connection,
  type DaemonlessService,
} from './daemonless.js'
export { CliError, EXIT_DEXEC_ERROR, formatHelp, type FlagSpec, type HelpText } from './help.js'
export { runServe, serveUsage } from './serve.js'
export {
  DEFAULT_CONFIG_PATH,
  SERVE_OPTIONS,
  envNameOf,
  resolveServeOptions,
  toServerOptions,
  type OptionKind,
  type OptionSources,
  type ServeOption,
} from './serve-options.js'
