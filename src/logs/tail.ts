// The last N lines of a log, read backwards from the end in blocks: the cost grows with N and
// the length of those lines, never with the size of the file. A rotated log is read as the one
// stream it was written as: when the current file holds fewer than N lines, reading goes on
// backwards into <path>.1, .2, … (a line split by rotation is joined again).
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'

const BLOCK = 64 * 1024
/** Never read more than this, however long the lines are. */
export const TAIL_MAX_BYTES = 16 * 1024 * 1024
const NEWLINE = 0x0a

/** A regular file opened for reading, or undefined (missing, FIFO, directory…: reads as empty). */
async function openRegular(path: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  let handle: FileHandle
  try {
    // O_NONBLOCK: a FIFO at a log path must not hold a thread of the pool forever.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENXIO' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EACCES') return undefined
    throw error
  }
  const stats = await handle.stat()
  if (stats.isFile()) return { handle, size: stats.size }
  await handle.close()
  return undefined
}

/** Last `lines` lines of `path` (with their newlines); '' when the file does not exist. */
export function tailFile(path: string, lines: number): Promise<string> {
  return tailFiles([path], lines)
}

/**
 * Last `lines` lines across `paths`, newest file first (path, path.1, …), as if the files were
 * one stream. `end` bounds how much of the newest file is read (what a follower has not seen).
 */
export async function tailFiles(paths: readonly string[], lines: number, end?: number): Promise<string> {
  const blocks: Buffer[] = []
  let newlines = 0
  let read = 0
  // A final newline ends the last line; it does not start a new one.
  let skipTrailing = true
  for (const [index, path] of paths.entries()) {
    const file = await openRegular(path)
    if (file === undefined) {
      if (index === 0) continue
      break
    }
    try {
      let position = index === 0 && end !== undefined ? Math.min(end, file.size) : file.size
      while (position > 0 && read < TAIL_MAX_BYTES) {
        const length = Math.min(BLOCK, position)
        position -= length
        const block = Buffer.allocUnsafe(length)
        const { bytesRead } = await file.handle.read(block, 0, length, position)
        const chunk = block.subarray(0, bytesRead)
        read += bytesRead
        for (let i = chunk.length - 1; i >= 0; i--) {
          if (chunk[i] !== NEWLINE) {
            skipTrailing = false
            continue
          }
          if (skipTrailing) {
            skipTrailing = false
            continue
          }
          newlines++
          if (newlines === lines) {
            blocks.unshift(chunk.subarray(i + 1))
            return Buffer.concat(blocks).toString('utf8')
          }
        }
        blocks.unshift(chunk)
      }
    } finally {
      await file.handle.close()
    }
    if (read >= TAIL_MAX_BYTES) break
  }
  return Buffer.concat(blocks).toString('utf8')
}
