// A private folder on tmpfs for a data dir's output FIFOs. Making a FIFO is an inode creation:
// about 4 µs on tmpfs, but 0.1–0.5 ms on a journaled disk (ext4 here), where two per spawn were
// a fifth of the daemon's thread while it started 1000 programs (docs/BENCHMARKS.md). FIFOs need
// not outlive a reboot (their processes do not), so memory is the right place for them.
//
// The folder's name is predictable and /dev/shm is writable by everyone, so a folder found there
// is used only if it is really ours: a directory (not a link), owned by us, closed to others.
// Otherwise the caller keeps the FIFOs in the data dir, as before.
import { createHash } from 'node:crypto'
import { lstatSync, mkdirSync, rmdirSync, statfsSync } from 'node:fs'
import { join } from 'node:path'

const TMPFS_MAGIC = 0x01021994

function candidates(): string[] {
  const runtime = process.env.XDG_RUNTIME_DIR
  return [...(runtime === undefined || runtime === '' ? [] : [runtime]), '/run', '/dev/shm']
}

function folderName(dataDir: string): string {
  return `hoody-daemon-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`
}

function isTmpfs(path: string): boolean {
  try {
    return statfsSync(path).type === TMPFS_MAGIC
  } catch {
    return false
  }
}

function isPrivateFolder(path: string): boolean {
  const stats = lstatSync(path)
  const uid = process.getuid?.() ?? -1
  return stats.isDirectory() && stats.uid === uid && (stats.mode & 0o077) === 0
}

/** The tmpfs folder for `dataDir`'s FIFOs, created if needed; undefined when no safe one exists. */
export function tmpfsRuntimeDir(dataDir: string): string | undefined {
  for (const base of candidates()) {
    if (!isTmpfs(base)) continue
    const path = join(base, folderName(dataDir))
    try {
      mkdirSync(path, { mode: 0o700 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') continue
    }
    try {
      if (isPrivateFolder(path)) return path
    } catch {
      // vanished meanwhile
    }
  }
  return undefined
}

/** Remove `dataDir`'s tmpfs folders that are empty (after a clean shutdown). */
export function removeEmptyRuntimeDirs(dataDir: string, subfolders: readonly string[]): void {
  for (const base of candidates()) {
    const path = join(base, folderName(dataDir))
    for (const folder of [...subfolders.map((name) => join(path, name)), path]) {
      try {
        rmdirSync(folder)
      } catch {
        // not there, not ours or not empty: a FIFO of a live process stays
      }
    }
  }
}

/** Every tmpfs folder `dataDir` may have, existing or not (for tests that remove what a killed daemon left). */
export function runtimeDirsOf(dataDir: string): string[] {
  return candidates().map((base) => join(base, folderName(dataDir)))
}
