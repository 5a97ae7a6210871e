// The last N lines of a file, read backwards from its end in blocks: the cost grows with N and
// the length of those lines, never with the size of the file.
import { open } from 'node:fs/promises'

const BLOCK = 64 * 1024
/** Never read more than this, however long the lines are. */
export const TAIL_MAX_BYTES = 16 * 1024 * 1024
const NEWLINE = 0x0a

/** Last `lines` lines of `path` (with their newlines); '' when the file does not exist. */
export async function tailFile(path: string, lines: number): Promise<string> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw error
  }
  try {
    const { size } = await handle.stat()
    const blocks: Buffer[] = []
    let position = size
    let newlines = 0
    let start = -1
    let read = 0
    // A final newline ends the last line; it does not start a new one.
    let skipTrailing = true
    while (position > 0 && start < 0 && read < TAIL_MAX_BYTES) {
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
    return Buffer.concat(blocks).toString('utf8')
  } finally {
    await handle.close()
  }
}
