export { serve, serveUsage } from './serve.js'
