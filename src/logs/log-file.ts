// One log file, shared by every writer of that path: chunks are queued and written in batches
// (writev) off the event loop; past the high-water mark producers are asked to pause, so a fast
// program is limited by the disk and memory stays bounded. Size-based rotation happens between
// batches, so nothing is lost or written twice. Written chunks are published to followers.
import { close, constants, fstat, open, writev } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { promisify } from 'node:util'

const HIGH_WATER_MARK = 1024 * 1024
const FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT
export const LOG_FILE_MODE = 0o640

export interface RotationPolicy {
  /** Rotate once the file would grow past this many bytes; 0 = never rotate. */
  readonly maxBytes: number
  /** How many rotated files to keep (path.1 … path.N); 0 = none. */
  readonly backups: number
}

export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 50 * 1024 * 1024, backups: 10 }

const closeAsync = promisify(close)
const openAsync = promisify(open)
const fstatAsync = promisify(fstat)
function writevAsync(fd: number, buffers: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    writev(fd, buffers, (error, written) => { if (error === null) resolve(written); else reject(error) })
  })
}

export type ChunkListener = (chunk: Buffer) => void

/** Who follows which path (LogFiles): asked rather than told, so a LogFile holds no closures. */
export interface Followers {
  isFollowed(path: string): boolean
  publish(path: string, chunk: Buffer): void
}

export class LogFile {
  readonly path: string
  policy: RotationPolicy
  private fd: number | null
  private size: number
  private queue: Buffer[] = []
  /** Per queued chunk: what to call once all of it is written (a pooled read buffer goes back). */
  private releases: ((() => void) | undefined)[] = []
  private queuedBytes = 0
  private writing = false
  /** Created on first use: most files never wait (1000 quiet programs hold 2000 LogFiles). */
  private drainWaiters: (() => void)[] | null = null
  private idleWaiters: (() => void)[] | null = null
  private readonly followers: Followers
  /** How the file was first opened (as the program's user): a reopen after rotation must match. */
  private readonly openFd: ((path: string) => number) | undefined
  /** The last write error (ENOSPC, EIO…), null once a write succeeds again. */
  lastError: Error | null = null
  droppedBytes = 0

  constructor(options: { path: string; fd: number; size: number; policy: RotationPolicy; followers: Followers; openFd?: ((path: string) => number) | undefined }) {
    this.path = options.path
    this.fd = options.fd
    this.size = options.size
    this.policy = options.policy
    this.followers = options.followers
    this.openFd = options.openFd
  }

  /** Bytes in the current file, counting only completed writes. */
  get writtenSize(): number {
    return this.size
  }

  /**
   * Queue a chunk; false means "pause until onDrain". `release` is called once the whole chunk
   * has been written (or dropped): until then its memory must not be reused.
   */
  write(chunk: Buffer, release?: () => void): boolean {
    this.queue.push(chunk)
    this.releases.push(release)
    this.queuedBytes += chunk.length
    if (!this.writing) void this.flush()
    return this.queuedBytes < HIGH_WATER_MARK
  }

  onDrain(callback: () => void): void {
    if (this.queuedBytes < HIGH_WATER_MARK) callback()
    else (this.drainWaiters ??= []).push(callback)
  }

  /** Resolve once every queued chunk is written. */
  idle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve))
  }

  async close(): Promise<void> {
    await this.idle()
    const fd = this.fd
    this.fd = null
    if (fd !== null) await closeAsync(fd).catch(() => undefined)
  }

  private async flush(): Promise<void> {
    this.writing = true
    while (this.queue.length > 0) {
      await this.rotateIfFull()
      const { batch, releases } = this.takeBatch()
      const total = batch.reduce((n, b) => n + b.length, 0)
      let written = 0
      try {
        const fd = this.fd ?? (await this.reopen())
        // A short write (disk nearly full) is retried from where it stopped.
        let pending = batch
        while (pending.length > 0) {
          const n = await writevAsync(fd, pending)
          if (n === 0) throw Object.assign(new Error('no space written'), { code: 'ENOSPC' })
          written += n
          pending = remainder(pending, n)
        }
        this.lastError = null
      } catch (error) {
        this.lastError = error as Error
        this.droppedBytes += total - written
      }
      this.size += written
      this.queuedBytes -= total
      if (written > 0) this.publish(batch, written)
      for (const release of releases) release?.()
      if (this.queuedBytes < HIGH_WATER_MARK) release(this.drainWaiters)
    }
    this.writing = false
    release(this.idleWaiters)
  }

  /**
   * The queued chunks that fit before the size limit (a chunk is split at the limit), and the
   * releases of the chunks taken whole (a split chunk's stays with its rest).
   */
  private takeBatch(): { batch: Buffer[]; releases: ((() => void) | undefined)[] } {
    const { maxBytes } = this.policy
    if (maxBytes <= 0) return { batch: this.queue.splice(0), releases: this.releases.splice(0) }
    let room = Math.max(1, maxBytes - this.size)
    const batch: Buffer[] = []
    const releases: ((() => void) | undefined)[] = []
    while (room > 0 && this.queue.length > 0) {
      const chunk = this.queue[0] as Buffer
      if (chunk.length <= room) {
        batch.push(chunk)
        releases.push(this.releases[0])
        this.queue.shift()
        this.releases.shift()
        room -= chunk.length
      } else {
        batch.push(chunk.subarray(0, room))
        this.queue[0] = chunk.subarray(room)
        room = 0
      }
    }
    return { batch, releases }
  }

  private publish(batch: Buffer[], written: number): void {
    // Joining a batch copies it: only worth it when someone follows this log. A single chunk is
    // copied too, since its memory goes back to the read pool once written.
    if (!this.followers.isFollowed(this.path)) return
    const data = Buffer.concat(batch)
    this.followers.publish(this.path, written === data.length ? data : data.subarray(0, written))
  }

  private async reopen(): Promise<number> {
    const fd = this.openFd === undefined ? await openAsync(this.path, FLAGS, LOG_FILE_MODE) : this.openFd(this.path)
    this.fd = fd
    this.size = (await fstatAsync(fd)).size
    return fd
  }

  private async rotateIfFull(): Promise<void> {
    const { maxBytes, backups } = this.policy
    if (maxBytes <= 0 || this.size < maxBytes) return
    try {
      if (this.fd !== null) await closeAsync(this.fd)
      this.fd = null
      if (backups === 0) {
        await unlink(this.path).catch(ignoreMissing)
      } else {
        for (let i = backups - 1; i >= 1; i--) await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(ignoreMissing)
        await rename(this.path, `${this.path}.1`)
      }
    } catch (error) {
      this.lastError = error as Error
    }
    // Reopened by the next write; a failure there is reported as a write error.
    this.size = 0
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
}

function release(waiters: (() => void)[] | null): void {
  if (waiters !== null) for (const waiter of waiters.splice(0)) waiter()
}

function remainder(batch: Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = []
  let skip = written
  for (const chunk of batch) {
    if (skip >= chunk.length) {
      skip -= chunk.length
      continue
    }
    rest.push(skip > 0 ? chunk.subarray(skip) : chunk)
    skip = 0
  }
  return rest
}
