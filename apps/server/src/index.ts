export { createApp, type AppBindings, type AppEnv, type AppOptions, type Hijack } from './app.js'
export { DEXEC_VERSION, engineHeaders } from './headers.js'
export { parseListenAddress, startServer, type DexecServer, type ListenAddress, type ServerOptions } from './server.js'
