import { readContainerFile } from './container-files.js'
import type { ContainerView } from './containers.js'
import { DexecError } from './errors.js'
import { resolveUser, type ResolvedUser } from './user.js'

/**
 * Resolves a user string against the container's /etc/passwd and
 * /etc/group, read through the root of its init process so that the files
 * are the container's whatever snapshotter made its root filesystem.
 */
export async function lookupUser(view: ContainerView, user: string): Promise<ResolvedUser> {
  const pid = view.task?.pid
  if (!pid) throw new DexecError('CONFLICT', `container ${view.id} is not running`)
  const root = `/proc/${pid}/root`
  const [passwd, group] = await Promise.all([
    readContainerFile(root, '/etc/passwd'),
    readContainerFile(root, '/etc/group'),
  ]).catch((err: Error) => {
    throw new DexecError('SYSTEM', `failed to read users of container ${view.id}: ${err.message}`, { cause: err })
  })
  return resolveUser(user, passwd, group)
}
