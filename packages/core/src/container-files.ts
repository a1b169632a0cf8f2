import { constants as fsConstants, type Stats } from 'node:fs'
import { lstat, open, readlink, type FileHandle } from 'node:fs/promises'

/** Largest /etc/passwd or /etc/group that dexec reads from a container. */
export const MAX_CONTAINER_FILE_BYTES = 4 * 1024 * 1024

const MAX_SYMLINKS = 40

/**
 * Reads a small regular file of a container as text, with `root` as the
 * container's root directory (such as `/proc/<pid>/root`). Every symlink on
 * the way is resolved inside `root`, so `/etc/passwd -> /etc/shadow` or
 * `../../..` never reaches a host file. Returns null when the file or one of
 * its directories does not exist. Throws when it is not a regular file or is
 * larger than `maxBytes`, before reading any of it.
 *
 * NOTE: a process in the container can swap a directory for a symlink
 * between the resolution and the open. The last component is opened with
 * O_NOFOLLOW, but a swapped parent directory is followed by the kernel
 * against the host root.
 */
export async function readContainerFile(
  root: string,
  path: string,
  maxBytes = MAX_CONTAINER_FILE_BYTES,
): Promise<string | null> {
  const resolved = await resolveInRoot(root, path)
  if (resolved === null) return null
  // Checked before the open as well as after it, so that a device node or a
  // FIFO placed by the container is never opened in the common case.
  const before = await lstatOrNull(resolved)
  if (before === null) return null
  checkFile(path, before, maxBytes)
  let handle
  try {
    const flags = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK
    handle = await open(resolved, flags)
  } catch (err) {
    if (isMissing(err)) return null
    throw err
  }
  try {
    const stats = await handle.stat()
    checkFile(path, stats, maxBytes)
    return await readAtMost(handle, stats.size)
  } finally {
    await handle.close()
  }
}

function checkFile(path: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile()) throw new Error(`${path} in the container is not a regular file`)
  if (stats.size > maxBytes) {
    throw new Error(`${path} in the container is larger than ${maxBytes} bytes`)
  }
}

/** Reads up to `size` bytes from the start, stopping early at end of file. */
async function readAtMost(handle: FileHandle, size: number): Promise<string> {
  const buffer = Buffer.alloc(size)
  let filled = 0
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return buffer.subarray(0, filled).toString('utf8')
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path)
  } catch (err) {
    if (isMissing(err)) return null
    throw err
  }
}

/** ENOENT, or ENOTDIR when a component that should be a directory is a file. */
function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * Resolves `path` under `root` with every symlink clamped to `root`.
 * Returns null when a component is missing.
 */
async function resolveInRoot(root: string, path: string): Promise<string | null> {
  const pending = splitPath(path)
  const current: string[] = []
  let links = 0
  while (pending.length) {
    const part = pending.shift()!
    if (part === '..') {
      current.pop()
      continue
    }
    const candidate = `${root}/${[...current, part].join('/')}`
    const stats = await lstatOrNull(candidate)
    if (stats === null) return null
    if (!stats.isSymbolicLink()) {
      current.push(part)
      continue
    }
    if (++links > MAX_SYMLINKS) throw new Error(`too many levels of symbolic links in ${path}`)
    const target = await readlink(candidate)
    if (target.startsWith('/')) current.length = 0
    pending.unshift(...splitPath(target))
  }
  return `${root}/${current.join('/')}`
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.')
}
