// Opening a log path the way the program's own user would: a daemon running as root must never
// follow a symlink that user planted, nor write a file that user could not write itself.
import { constants, closeSync, fchownSync, fstatSync, openSync, type Stats } from 'node:fs'
import { basename, dirname } from 'node:path'
import { LOG_FILE_MODE } from './log-file.js'

export interface Identity {
  readonly uid: number
  readonly gid: number
  /** Primary and supplementary groups. */
  readonly gids: readonly number[]
}

export class UnsafeLogPathError extends Error {
  override name = 'UnsafeLogPathError'
}

function allows(stats: Stats, who: Identity, bits: { owner: number; group: number; other: number }): boolean {
  if (stats.uid === who.uid) return (stats.mode & bits.owner) === bits.owner
  if (who.gids.includes(stats.gid)) return (stats.mode & bits.group) === bits.group
  return (stats.mode & bits.other) === bits.other
}

const WRITE = { owner: 0o200, group: 0o020, other: 0o002 }
const WRITE_SEARCH = { owner: 0o300, group: 0o030, other: 0o003 }

/**
 * Open `path` for appending on behalf of `who`. The folder is opened first and checked through
 * its descriptor; the file is then opened through /proc/self/fd/<dir>, so a folder swapped after
 * the check is never used, and O_NOFOLLOW refuses a symlink in the last component. A new file
 * is handed to `who`; an existing one must be a regular file `who` may write.
 */
export function openLogAs(path: string, who: Identity): number {
  let dirFd: number
  try {
    dirFd = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY)
  } catch (error) {
    throw new UnsafeLogPathError(`log file '${path}': folder cannot be opened (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
  try {
    const dirStats = fstatSync(dirFd)
    const through = `/proc/self/fd/${dirFd}/${basename(path)}`
    let fd: number
    let created = false
    try {
      fd = openSync(through, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ELOOP') throw new UnsafeLogPathError(`log file '${path}' is a symlink; refusing to follow it for user ${who.uid}`)
      if (code !== 'ENOENT') throw new UnsafeLogPathError(`log file '${path}' cannot be opened (${code ?? String(error)})`)
      if (!allows(dirStats, who, WRITE_SEARCH)) {
        throw new UnsafeLogPathError(`log file '${path}': uid ${who.uid} may not create files in ${dirname(path)}`)
      }
      fd = openSync(through, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NONBLOCK, LOG_FILE_MODE)
      created = true
    }
    const stats = fstatSync(fd)
    if (!stats.isFile() || (!created && !allows(stats, who, WRITE))) {
      closeSync(fd)
      throw new UnsafeLogPathError(`log file '${path}' is not a file uid ${who.uid} may write; refusing to write it`)
    }
    if (created) fchownSync(fd, who.uid, who.gid)
    return fd
  } finally {
    closeSync(dirFd)
  }
}
