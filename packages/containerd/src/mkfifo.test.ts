import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { FifoError } from './errors.js'
import { mkfifo } from './mkfifo.js'

let directory: string

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dexec-mkfifo-'))
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

describe('mkfifo', () => {
  it('creates FIFOs with mode 0600', async () => {
    const paths = [join(directory, 'a'), join(directory, 'b')]
    await mkfifo(paths)
    for (const path of paths) {
      const info = await stat(path)
      expect(info.isFIFO()).toBe(true)
      expect(info.mode & 0o777).toBe(0o600)
    }
  })

  it('takes names with quotes and spaces', async () => {
    const path = join(directory, `it's a "name" $HOME`)
    await mkfifo([path])
    expect((await stat(path)).isFIFO()).toBe(true)
  })

  it('serves concurrent requests', async () => {
    const paths = Array.from({ length: 20 }, (_, index) => join(directory, `c${index}`))
    await Promise.all(paths.map((path) => mkfifo([path])))
    const kinds = await Promise.all(paths.map(async (path) => (await stat(path)).isFIFO()))
    expect(kinds).toEqual(paths.map(() => true))
  })

  it('rejects a missing directory', async () => {
    const error = await mkfifo([join(directory, 'missing', 'x')]).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(FifoError)
    expect((error as Error).message).toMatch(/No such file or directory/)
  })

  it('keeps working after a failed request', async () => {
    await mkfifo([join(directory, 'missing', 'y')]).catch(() => undefined)
    const path = join(directory, 'after-failure')
    await mkfifo([path])
    expect((await stat(path)).isFIFO()).toBe(true)
  })
})
