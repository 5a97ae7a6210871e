// Following a log file that another process (supervisord) writes and rotates: each followed path
// is polled; new bytes go to its listeners. A rotation (the path names a new file) is noticed by
// its inode: the rest of the old file is read first, then the new one from its start.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs'

/** How often a followed file is looked at. */
const POLL_MS = 100
const CHUNK = 64 * 1024

type Listener = (chunk: Buffer) => void

interface Followed {
  readonly listeners: Set<Listener>
  fd: number | null
  ino: number
  /** Bytes of the open file already delivered (or before the first subscription). */
  offset: number
}

export class LogFollower {
  private readonly followed = new Map<string, Followed>()
  private timer: NodeJS.Timeout | null = null

  /** Receive every chunk appended to `path` from now on; returns the unsubscribe function. */
  follow(path: string, listener: Listener): () => void {
    let entry = this.followed.get(path)
    if (entry === undefined) {
      entry = { listeners: new Set(), fd: null, ino: 0, offset: 0 }
      this.openAtEnd(path, entry)
      this.followed.set(path, entry)
    }
    entry.listeners.add(listener)
    this.timer ??= setInterval(() => { this.poll() }, POLL_MS)
    const followed = entry
    return () => {
      followed.listeners.delete(listener)
      // Already closed (the engine shut down first): the descriptor may belong to something else now.
      if (followed.listeners.size > 0 || this.followed.get(path) !== followed) return
      if (followed.fd !== null) closeSync(followed.fd)
      followed.fd = null
      this.followed.delete(path)
      if (this.followed.size === 0 && this.timer !== null) {
        clearInterval(this.timer)
        this.timer = null
      }
    }
  }

  /** Where live chunks of `path` start (the backlog ends there); undefined when not followed. */
  position(path: string): number | undefined {
    return this.followed.get(path)?.offset
  }

  close(): void {
    for (const entry of this.followed.values()) {
      if (entry.fd !== null) closeSync(entry.fd)
      entry.fd = null
    }
    this.followed.clear()
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private openAtEnd(path: string, entry: Followed): void {
    try {
      const fd = openSync(path, 'r')
      const stats = fstatSync(fd)
      entry.fd = fd
      entry.ino = stats.ino
      entry.offset = stats.size
    } catch {
      entry.fd = null
      entry.offset = 0
    }
  }

  private poll(): void {
    for (const [path, entry] of this.followed) {
      try {
        this.pollOne(path, entry)
      } catch {
        // A read error on one file must not stop the others; the next poll tries again.
      }
    }
  }

  private pollOne(path: string, entry: Followed): void {
    if (entry.fd !== null) this.drain(entry)
    let current: number | undefined
    try {
      current = statSync(path).ino
    } catch {
      current = undefined
    }
    if (current !== undefined && (entry.fd === null || current !== entry.ino)) {
      // Rotated (or created): the old file was read to its end above; the new one starts at 0.
      if (entry.fd !== null) closeSync(entry.fd)
      entry.fd = openSync(path, 'r')
      entry.ino = fstatSync(entry.fd).ino
      entry.offset = 0
      this.drain(entry)
    }
  }

  private drain(entry: Followed): void {
    if (entry.fd === null) return
    const size = fstatSync(entry.fd).size
    // Truncated in place (supervisorctl clear): go on from the new end.
    if (size < entry.offset) entry.offset = size
    while (entry.offset < size) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - entry.offset))
      const read = readSync(entry.fd, buffer, 0, buffer.length, entry.offset)
      if (read <= 0) break
      entry.offset += read
      const chunk = buffer.subarray(0, read)
      for (const listener of entry.listeners) listener(chunk)
    }
  }
}
