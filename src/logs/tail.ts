// The last N lines of a log, read backwards from the end in blocks: the cost grows with N and
// the length of those lines, never with the size of the file. A rotated log is read across its
// files: when the current one holds fewer than N lines, the rest comes from <path>.1, .2, …
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'

const BLOCK = 64 * 1024
/** Never read more than this, however long the lines are. */
export const TAIL_MAX_BYTES = 16 * 1024 * 1024
const NEWLINE = 0x0a

interface Tail {
  /** The bytes of the last lines found (at most `lines`). */
  data: Buffer
  /** How many complete lines `data` holds (a trailing partial line counts as one). */
  lines: number
  /** True when the file start was reached (more may come from an older file). */
  reachedStart: boolean
}

async function tailOne(path: string, lines: number, budget: number, end?: number): Promise<Tail | undefined> {
  let handle
  try {
    // O_NONBLOCK: a FIFO at a log path must not hold a thread of the pool forever.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENXIO' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EACCES') return undefined
    throw error
  }
  try {
    const stats = await handle.stat()
    // Only regular files are logs; anything else reads as empty.
    if (!stats.isFile()) return undefined
    const size = Math.min(end ?? Number.POSITIVE_INFINITY, stats.size)
    const blocks: Buffer[] = []
    let position = size
    let newlines = 0
    let start = -1
    let read = 0
    // A final newline ends the last line; it does not start a new one.
    let skipTrailing = true
    while (position > 0 && start < 0 && read < budget) {
      const length = Math.min(BLOCK, position)
      position -= length
      const block = Buffer.allocUnsafe(length)
      const { bytesRead } = await handle.read(block, 0, length, position)
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
          start = i + 1
          break
        }
      }
      blocks.unshift(start >= 0 ? chunk.subarray(start) : chunk)
    }
    const data = Buffer.concat(blocks)
    const reachedStart = start < 0 && position === 0
    return { data, lines: reachedStart ? (data.length === 0 ? 0 : newlines + 1) : newlines, reachedStart }
  } finally {
    await handle.close()
  }
}

/** Last `lines` lines of `path` (with their newlines); '' when the file does not exist. */
export async function tailFile(path: string, lines: number): Promise<string> {
  return tailFiles([path], lines)
}

/**
 * Last `lines` lines across `paths`, newest file first (path, path.1, …). `end` bounds how much
 * of the newest file is read (what a follower has not yet been sent).
 */
export async function tailFiles(paths: readonly string[], lines: number, end?: number): Promise<string> {
  const parts: Buffer[] = []
  let wanted = lines
  let budget = TAIL_MAX_BYTES
  for (const [index, path] of paths.entries()) {
    const tail = await tailOne(path, wanted, budget, index === 0 ? end : undefined)
    if (tail === undefined) {
      if (index === 0) continue
      break
    }
    parts.unshift(tail.data)
    budget -= tail.data.length
    if (!tail.reachedStart || budget <= 0) break
    wanted -= tail.lines
    if (wanted <= 0) break
  }
  return Buffer.concat(parts).toString('utf8')
}
