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
  return lookupUserInRoot(`/proc/${pid}/root`, user)
}

/**
 * Resolves a user string against the passwd and group files under `root`.
 * A file that cannot be read (a FIFO, a device, a file over the size limit,
 * a symlink loop) counts as missing, as in moby/sys/user `GetExecUserPath`,
 * which ignores every open error. So a name gives Docker's
 * "unable to find user" error and a numeric id is taken as given.
 */
export async function lookupUserInRoot(root: string, user: string): Promise<ResolvedUser> {
  const [passwd, group] = await Promise.all([
    readContainerFile(root, '/etc/passwd').catch(() => null),
    readContainerFile(root, '/etc/group').catch(() => null),
  ])
  return resolveUser(user, passwd, group)
}
