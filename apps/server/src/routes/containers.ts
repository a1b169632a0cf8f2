import { apiVersionAtLeast, ExecCreateBody } from '@dexec/api-types'
import type { CreateExecRequest, ExecService } from '@dexec/core'
import type { Hono } from 'hono'

import type { AppEnv } from '../app.js'
import { sendJson } from '../json.js'
import { readBody } from './body.js'

/** Registers the container routes that Docker clients call around exec. */
export function registerContainerRoutes(app: Hono<AppEnv>, service: ExecService): void {
  app.get('/containers/json', async (c) => {
    const all = ['1', 'true'].includes(c.req.query('all') ?? '')
    return sendJson(c, await service.listContainers(all))
  })

  app.get('/containers/:id/json', async (c) => {
    return sendJson(c, await service.inspectContainer(c.req.param('id')))
  })

  app.post('/containers/:id/exec', async (c) => {
    const body = await readBody<CreateExecRequest>(c, ExecCreateBody)
    // ConsoleSize exists from API 1.42 on; older clients never meant to send it.
    if (!apiVersionAtLeast(c.get('apiVersion'), '1.42')) body.ConsoleSize = null
    const id = await service.createExec(c.req.param('id'), body)
    return sendJson(c, { Id: id }, 201)
  })
}
