export { createApp, type AppBindings, type AppEnv, type AppOptions, type Hijack } from './app.js'
export { DEXEC_VERSION, engineHeaders } from './headers.js'
export {
  DEFAULT_HTTP_LIMITS,
  checkListenSecurity,
  parseListenAddress,
  readTlsCredentials,
  resolveGroup,
  tlsFromFlags,
  type HttpLimits,
  type TlsCredentials,
  type TlsFlags,
  type ListenAddress,
  type TlsOptions,
} from './listen.js'
export { MAX_REQUEST_TARGET_BYTES, startServer, type DexecServer, type ServerOptions } from './server.js'
export { AuditLog, AUDIT_ROTATED_FILES, type AuditLogOptions } from './audit.js'
export { describeCaller, type AuditCaller } from './caller.js'
export { classifyExitCode, ServerMetrics, type FinishClass } from './metrics.js'
