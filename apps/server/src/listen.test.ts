import { statSync } from 'node:fs'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { listenOn } from './listen.js'

let directory: string
let server: Server | undefined

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexec-listen-'))
})

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

describe('listenOn a unix socket', () => {
  it('creates the socket with mode 0660 inside listen()', async () => {
    const path = join(directory, 'sync.sock')
    server = createServer()
    const listen = server.listen.bind(server)
    let modeRightAfterBind: number | undefined
    server.listen = ((...args: Parameters<Server['listen']>) => {
      const result = listen(...args)
      modeRightAfterBind = statSync(path).mode & 0o777
      return result
    }) as Server['listen']
    await listenOn(server, { kind: 'unix', path })
    expect(modeRightAfterBind?.toString(8)).toBe('660')
  })

  it('restores the umask before any other code runs', async () => {
    const path = join(directory, 'umask.sock')
    server = createServer()
    const before = process.umask()
    const listen = server.listen.bind(server)
    let umaskAfterListen: number | undefined
    server.listen = ((...args: Parameters<Server['listen']>) => {
      const result = listen(...args)
      // The first microtask after the synchronous listen() call.
      queueMicrotask(() => (umaskAfterListen = process.umask()))
      return result
    }) as Server['listen']
    await listenOn(server, { kind: 'unix', path })
    expect(umaskAfterListen).toBe(before)
  })

  it('replaces a stale file at the path', async () => {
    const path = join(directory, 'stale.sock')
    await writeFile(path, 'stale')
    server = createServer()
    await listenOn(server, { kind: 'unix', path })
    expect((await stat(path)).isSocket()).toBe(true)
  })

  it.runIf(process.getuid?.() === 0)('hands the socket to gid 50', async () => {
    const path = join(directory, 'group.sock')
    server = createServer()
    await listenOn(server, { kind: 'unix', path }, 50)
    expect((await stat(path)).gid).toBe(50)
  })
})
