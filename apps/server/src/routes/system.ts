import { release } from 'node:os'

import { MAX_API_VERSION, MIN_API_VERSION } from '@dexec/api-types'
import type { ExecService } from '@dexec/core'
import type { Hono } from 'hono'

import type { AppEnv } from '../app.js'
import { DEXEC_VERSION } from '../headers.js'
import { sendJson } from '../json.js'

const pingHeaders = {
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  'Content-Type': 'text/plain; charset=utf-8',
}

/** Registers /_ping and /version. */
export function registerSystemRoutes(app: Hono<AppEnv>, service: ExecService): void {
  app.get('/_ping', (c) => {
    if (c.req.method !== 'HEAD') return c.body('OK', 200, pingHeaders)
    // Hono serves HEAD through this GET route. A plain Response keeps the
    // `Content-Length: 0` that Docker sends, where c.body drops it.
    return new Response(null, { status: 200, headers: { ...pingHeaders, 'Content-Length': '0' } })
  })

  app.get('/version', async (c) => {
    const containerd = await service.containerdVersion()
    return sendJson(c, {
      Platform: { Name: 'dexec' },
      Components: [
        {
          Name: 'Engine',
          Version: DEXEC_VERSION,
          Details: { ApiVersion: MAX_API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: arch() },
        },
        { Name: 'containerd', Version: containerd.version, Details: { GitCommit: containerd.revision } },
      ],
      Version: DEXEC_VERSION,
      ApiVersion: MAX_API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: '',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: arch(),
      KernelVersion: kernelVersion(),
      BuildTime: '',
    })
  })
}

/** Go's name for this machine's architecture, as Docker reports it. */
function arch(): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' }
  return names[process.arch] ?? process.arch
}

function kernelVersion(): string {
  return release()
}
