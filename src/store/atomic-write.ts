// Atomic file replacement: write a temp file beside the target, fsync it, rename it over the
// target, fsync the folder. A crash at any moment leaves the old file or the new one, whole.
import { randomBytes } from 'node:crypto'
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

const TEMP_MARK = '.tmp-'

/** `data`: the content, or buffers written one after the other (no copy into one). */
export async function writeFileAtomic(path: string, data: string | Buffer | readonly Buffer[], mode = 0o600): Promise<void> {
  const temp = `${path}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`
  const handle = await open(temp, 'wx', mode)
  try {
    if (typeof data === 'string' || Buffer.isBuffer(data)) await handle.writeFile(data)
    else await writeAll(handle, data)
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

async function writeAll(handle: FileHandle, buffers: readonly Buffer[]): Promise<void> {
  const rest = [...buffers]
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest)
    // A short write (rare on a regular file) goes on where it stopped.
    while (rest.length > 0 && bytesWritten >= (rest[0] as Buffer).length) bytesWritten -= (rest.shift() as Buffer).length
    if (bytesWritten > 0) rest[0] = (rest[0] as Buffer).subarray(bytesWritten)
  }
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
