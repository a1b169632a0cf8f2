import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { MAX_CONTAINER_FILE_BYTES, readContainerFile } from './container-files.js'

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\n'
const SECRET = 'host secret\n'
const LOOP_MESSAGE = /too many levels of symbolic links/

let tmp: string
let roots = 0

/** Creates an empty fake container root under the temp dir. */
async function makeRoot(): Promise<string> {
  const root = join(tmp, `root-${++roots}`)
  await mkdir(root)
  return root
}

async function writeIn(root: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await writeFile(join(root, path), text)
}

async function linkIn(root: string, path: string, target: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await symlink(target, join(root, path))
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dexec-container-files-'))
  await writeFile(join(tmp, 'outside-secret'), SECRET)
  await mkdir(join(tmp, 'host-etc'))
  await writeFile(join(tmp, 'host-etc', 'passwd'), SECRET)
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('readContainerFile', () => {
  it('reads a regular file', async () => {
    const root = await makeRoot()
    await writeIn(root, 'etc/passwd', PASSWD)
    expect(await readContainerFile(root, '/etc/passwd')).toBe(PASSWD)
  })

  it('reads an empty file', async () => {
    const root = await makeRoot()
    await writeIn(root, 'etc/group', '')
    expect(await readContainerFile(root, '/etc/group')).toBe('')
  })

  it('decodes UTF-8', async () => {
    const root = await makeRoot()
    const text = 'zoë:x:1:1:Zoë Ü:/home/zoë:/bin/sh\n'
    await writeIn(root, 'etc/passwd', text)
    expect(await readContainerFile(root, '/etc/passwd')).toBe(text)
  })

  it('accepts a path without a leading slash', async () => {
    const root = await makeRoot()
    await writeIn(root, 'etc/passwd', PASSWD)
    expect(await readContainerFile(root, 'etc/passwd')).toBe(PASSWD)
  })

  it('ignores . and repeated slashes', async () => {
    const root = await makeRoot()
    await writeIn(root, 'etc/passwd', PASSWD)
    expect(await readContainerFile(root, '/./etc//./passwd')).toBe(PASSWD)
  })

  describe('missing files', () => {
    it('returns null for a missing file', async () => {
      const root = await makeRoot()
      await mkdir(join(root, 'etc'))
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })

    it('returns null for a missing directory', async () => {
      const root = await makeRoot()
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })

    it('returns null for a path through a file', async () => {
      const root = await makeRoot()
      await writeIn(root, 'etc', 'not a directory\n')
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })

    it('returns null for a dangling symlink', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc/passwd', '/nowhere/passwd')
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })
  })

  describe('symlinks', () => {
    it('follows a relative link', async () => {
      const root = await makeRoot()
      await writeIn(root, 'etc/passwd.real', PASSWD)
      await linkIn(root, 'etc/passwd', 'passwd.real')
      expect(await readContainerFile(root, '/etc/passwd')).toBe(PASSWD)
    })

    it('follows a relative link with ..', async () => {
      const root = await makeRoot()
      await writeIn(root, 'usr/lib/passwd', PASSWD)
      await linkIn(root, 'etc/passwd', '../usr/lib/passwd')
      expect(await readContainerFile(root, '/etc/passwd')).toBe(PASSWD)
    })

    it('follows an absolute link inside the root', async () => {
      const root = await makeRoot()
      await writeIn(root, 'usr/lib/passwd', PASSWD)
      await linkIn(root, 'etc/passwd', '/usr/lib/passwd')
      expect(await readContainerFile(root, '/etc/passwd')).toBe(PASSWD)
    })

    it('follows a linked directory inside the root', async () => {
      const root = await makeRoot()
      await writeIn(root, 'private/etc/passwd', PASSWD)
      await linkIn(root, 'etc', '/private/etc')
      expect(await readContainerFile(root, '/etc/passwd')).toBe(PASSWD)
    })

    it('follows a chain of links', async () => {
      const root = await makeRoot()
      await writeIn(root, 'c', PASSWD)
      await linkIn(root, 'b', '/c')
      await linkIn(root, 'etc/passwd', '../b')
      expect(await readContainerFile(root, '/etc/passwd')).toBe(PASSWD)
    })
  })

  describe('escapes', () => {
    it('returns null for an absolute link to a host file', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc/passwd', join(tmp, 'outside-secret'))
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })

    it('reads the root copy of an absolute link target', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc/passwd', join(tmp, 'outside-secret'))
      await writeIn(root, join(tmp, 'outside-secret'), PASSWD)
      expect(await readContainerFile(root, '/etc/passwd')).toBe(PASSWD)
    })

    it('returns null for a link to /etc/hostname', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc/passwd', '/etc/hostname')
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })

    it('reads the root /etc/hostname for that link', async () => {
      const root = await makeRoot()
      await writeIn(root, 'etc/hostname', 'container-host\n')
      await linkIn(root, 'etc/passwd', '/etc/hostname')
      const text = await readContainerFile(root, '/etc/passwd')
      expect(text).toBe('container-host\n')
      expect(text).not.toBe(await readFile('/etc/hostname', 'utf8'))
    })

    it('clamps a relative .. escape to the root', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc/passwd', '../../../../outside-secret')
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })

    it('reads the root file for a clamped .. escape', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc/passwd', '../../../../outside-secret')
      await writeIn(root, 'outside-secret', PASSWD)
      expect(await readContainerFile(root, '/etc/passwd')).toBe(PASSWD)
    })

    it('clamps .. in the requested path', async () => {
      const root = await makeRoot()
      await writeIn(root, 'outside-secret', PASSWD)
      expect(await readContainerFile(root, '/../../outside-secret')).toBe(PASSWD)
      expect(await readContainerFile(root, '../outside-secret')).toBe(PASSWD)
    })

    it('keeps a linked parent directory inside the root', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc', join(tmp, 'host-etc'))
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })

    it('keeps a relative linked parent inside the root', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc', '../host-etc')
      expect(await readContainerFile(root, '/etc/passwd')).toBeNull()
    })
  })

  describe('symlink loops', () => {
    it('rejects a link to itself', async () => {
      const root = await makeRoot()
      await linkIn(root, 'etc/passwd', '/etc/passwd')
      await expect(readContainerFile(root, '/etc/passwd')).rejects.toThrow(
        'too many levels of symbolic links in /etc/passwd',
      )
    })

    it('rejects a two-link loop', async () => {
      const root = await makeRoot()
      await linkIn(root, 'a', 'b')
      await linkIn(root, 'b', 'a')
      await linkIn(root, 'etc/passwd', '/a')
      await expect(readContainerFile(root, '/etc/passwd')).rejects.toThrow(LOOP_MESSAGE)
    })

    it('follows a chain of 40 links', async () => {
      const root = await makeRoot()
      await writeIn(root, 'l40', PASSWD)
      for (let i = 0; i < 40; i++) await linkIn(root, `l${i}`, `l${i + 1}`)
      expect(await readContainerFile(root, '/l0')).toBe(PASSWD)
    })

    it('rejects a chain of 41 links', async () => {
      const root = await makeRoot()
      await writeIn(root, 'l41', PASSWD)
      for (let i = 0; i < 41; i++) await linkIn(root, `l${i}`, `l${i + 1}`)
      await expect(readContainerFile(root, '/l0')).rejects.toThrow(LOOP_MESSAGE)
    })
  })

  describe('file types', () => {
    it('rejects a FIFO without blocking', async () => {
      const root = await makeRoot()
      await mkdir(join(root, 'etc'))
      execFileSync('mkfifo', [join(root, 'etc/passwd')])
      const started = Date.now()
      await expect(readContainerFile(root, '/etc/passwd')).rejects.toThrow(
        '/etc/passwd in the container is not a regular file',
      )
      expect(Date.now() - started).toBeLessThan(1000)
    }, 2000)

    it('rejects a link to a FIFO without blocking', async () => {
      const root = await makeRoot()
      await mkdir(join(root, 'run'))
      execFileSync('mkfifo', [join(root, 'run/fifo')])
      await linkIn(root, 'etc/passwd', '/run/fifo')
      const started = Date.now()
      await expect(readContainerFile(root, '/etc/passwd')).rejects.toThrow(/not a regular file/)
      expect(Date.now() - started).toBeLessThan(1000)
    }, 2000)

    it('rejects a directory', async () => {
      const root = await makeRoot()
      await mkdir(join(root, 'etc/passwd'), { recursive: true })
      await expect(readContainerFile(root, '/etc/passwd')).rejects.toThrow(
        '/etc/passwd in the container is not a regular file',
      )
    })

    it('rejects the root itself', async () => {
      const root = await makeRoot()
      await expect(readContainerFile(root, '/')).rejects.toThrow(/not a regular file/)
    })

    it('rejects a link to a directory', async () => {
      const root = await makeRoot()
      await mkdir(join(root, 'var'))
      await linkIn(root, 'etc/passwd', '/var')
      await expect(readContainerFile(root, '/etc/passwd')).rejects.toThrow(/not a regular file/)
    })
  })

  describe('size limit', () => {
    it('reads a file of exactly maxBytes', async () => {
      const root = await makeRoot()
      await writeIn(root, 'etc/passwd', 'x'.repeat(16))
      expect(await readContainerFile(root, '/etc/passwd', 16)).toBe('x'.repeat(16))
    })

    it('rejects a file over maxBytes', async () => {
      const root = await makeRoot()
      await writeIn(root, 'etc/passwd', 'x'.repeat(17))
      await expect(readContainerFile(root, '/etc/passwd', 16)).rejects.toThrow(
        '/etc/passwd in the container is larger than 16 bytes',
      )
    })

    it('rejects a huge sparse file without reading it', async () => {
      const root = await makeRoot()
      await writeIn(root, 'etc/passwd', '')
      // 1 TiB: a read of it, or a buffer for it, would fail differently.
      await truncate(join(root, 'etc/passwd'), 2 ** 40)
      await expect(readContainerFile(root, '/etc/passwd')).rejects.toThrow(
        `/etc/passwd in the container is larger than ${MAX_CONTAINER_FILE_BYTES} bytes`,
      )
    })

    it('defaults to 4 MiB', () => {
      expect(MAX_CONTAINER_FILE_BYTES).toBe(4 * 1024 * 1024)
    })
  })
})
