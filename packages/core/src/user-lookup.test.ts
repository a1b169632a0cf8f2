import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { readContainerFile } from './container-files.js'
import { lookupUserInRoot } from './user-lookup.js'

// `hostonly` exists only in the host-side files that the hostile links point to.
const HOST_PASSWD = 'hostonly:x:4242:4242:host:/home/hostonly:/bin/sh\n'
const HOST_GROUP = 'hostgroup:x:4343:hostonly\n'
const NOT_FOUND = 'unable to find user hostonly: no matching entries in passwd file'

let tmp: string
let roots = 0

async function makeRoot(): Promise<string> {
  const root = join(tmp, `root-${++roots}`)
  await mkdir(join(root, 'etc'), { recursive: true })
  return root
}

async function linkIn(root: string, path: string, target: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await symlink(target, join(root, path))
}

/** Each builder makes /etc/passwd and /etc/group of a fresh root into one hostile kind of file. */
const hostileRoots: [string, (root: string) => Promise<void>][] = [
  ['symlinks to an absolute host path', async (root) => {
    await linkIn(root, 'etc/passwd', join(tmp, 'host-etc/passwd'))
    await linkIn(root, 'etc/group', join(tmp, 'host-etc/group'))
  }],
  ['symlinks escaping with ..', async (root) => {
    const up = '../'.repeat(root.split('/').length + 2)
    await linkIn(root, 'etc/passwd', `${up}${join(tmp, 'host-etc/passwd')}`)
    await linkIn(root, 'etc/group', `${up}${join(tmp, 'host-etc/group')}`)
  }],
  ['FIFOs', async (root) => {
    execFileSync('mkfifo', [join(root, 'etc/passwd'), join(root, 'etc/group')])
  }],
  ['character devices like /dev/null', async (root) => {
    execFileSync('mknod', [join(root, 'etc/passwd'), 'c', '1', '3'])
    execFileSync('mknod', [join(root, 'etc/group'), 'c', '1', '3'])
  }],
  ['symlinks to /dev/zero, a device inside the root', async (root) => {
    await mkdir(join(root, 'dev'))
    execFileSync('mknod', [join(root, 'dev/zero'), 'c', '1', '5'])
    await linkIn(root, 'etc/passwd', '/dev/zero')
    await linkIn(root, 'etc/group', '/dev/zero')
  }],
  ['2 GiB sparse files', async (root) => {
    for (const name of ['passwd', 'group']) {
      await writeFile(join(root, 'etc', name), HOST_PASSWD)
      await truncate(join(root, 'etc', name), 2 * 1024 ** 3)
    }
  }],
]

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dexec-user-lookup-'))
  await mkdir(join(tmp, 'host-etc'))
  await writeFile(join(tmp, 'host-etc/passwd'), HOST_PASSWD)
  await writeFile(join(tmp, 'host-etc/group'), HOST_GROUP)
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('lookupUserInRoot', () => {
  it('resolves a name from the container files', async () => {
    const root = await makeRoot()
    await writeFile(join(root, 'etc/passwd'), 'app:x:1000:1001::/home/app:/bin/sh\n')
    await writeFile(join(root, 'etc/group'), 'extra:x:2000:app\n')
    expect(await lookupUserInRoot(root, 'app')).toEqual({
      uid: 1000, gid: 1001, additionalGids: [1001, 2000], home: '/home/app',
    })
  })

  describe.each(hostileRoots)('with %s', (_kind, build) => {
    let root: string

    beforeAll(async () => {
      root = await makeRoot()
      await build(root)
    })

    it('rejects a name with Docker\'s error within 1 s', async () => {
      const started = Date.now()
      await expect(lookupUserInRoot(root, 'hostonly')).rejects.toThrow(NOT_FOUND)
      expect(Date.now() - started).toBeLessThan(1_000)
    }, 5_000)

    it('rejects a group name only the host has', async () => {
      await expect(lookupUserInRoot(root, '0:hostgroup')).rejects.toThrow(
        'unable to find group hostgroup: no matching entries in group file',
      )
    })

    it('takes a numeric user as given', async () => {
      expect(await lookupUserInRoot(root, '4242:4343')).toEqual({
        uid: 4242, gid: 4343, additionalGids: [4343], home: undefined,
      })
    })

    it('never reads the host file', async () => {
      const passwd = await readContainerFile(root, '/etc/passwd').catch(() => null)
      expect(passwd).not.toBe(HOST_PASSWD)
    })
  })
})
