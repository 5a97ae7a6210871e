// Atomic file replacement: write a temp file beside the target, fsync it, rename it over the
// target, fsync the folder. A crash at any moment leaves the old file or the new one, whole.
import { randomBytes } from 'node:crypto'
import { open, readdir, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

const TEMP_MARK = '.tmp-'

export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const temp = `${path}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`
  const handle = await open(temp, 'wx', mode)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await unlink(temp).catch(() => undefined)
    throw error
  }
  await handle.close()
  try {
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw error
  }
  await syncDirectory(dirname(path))
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Remove temp files that a crash in the middle of writeFileAtomic(path) left behind. */
export async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}${TEMP_MARK}`
  const entries = await readdir(dirname(path)).catch(() => [])
  await Promise.all(entries.filter((name) => name.startsWith(prefix)).map((name) => unlink(join(dirname(path), name)).catch(() => undefined)))
}
