// One log file, shared by every writer of that path: chunks are queued and written in batches
// (writev) off the event loop; past the high-water mark producers are asked to pause, so a fast
// program is limited by the disk and memory stays bounded. A busy pipe can instead be spliced,
// its bytes moved in the kernel (see splice.ts). Size-based rotation happens between batches and
// splices, so nothing is lost or written twice. Written bytes are published to followers.
import { close, constants, fstat, open, read, writev } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { promisify } from 'node:util'
import { kernelSplicer } from '../system/splice.js'

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

/** Why a splice run ended: only 'failed' changes what the file does next. */
type SpliceEnd = 'dry' | 'yielded' | 'failed'

/** A busy pipe whose bytes the file moves itself, with splice(2), until the run ends. */
export interface SpliceSource {
  readonly pipeFd: number
  /** False once the pipe is being closed: the run stops after the splice under way. */
  wanted(): boolean
  /**
   * The run is over and the pipe should be read again: it ran dry or ended, the file needs
   * JavaScript for a while (another writer, a follower, closing), or splicing is off for this
   * file (a splice failed, or another process writes the file; the bytes are still in the pipe).
   */
  ended(): void
}

/** One splice moves at most a default pipe's worth: busy pipes are not widened (bench/findings.md). */
const SPLICE_BYTES = 64 * 1024

const closeAsync = promisify(close)
const readAsync = promisify(read)
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
  /**
   * The same file opened again without O_APPEND, which splice(2) refuses. Every writer of the
   * path in this daemon goes through this object, so the file ends at `size`; each splice first
   * checks that (see runSplices).
   */
  private spliceFd: number | null = null
  private spliceFailed = false
  /** The pipe spliced from, or waiting for the queue to empty before it is. */
  private spliceSource: SpliceSource | null = null
  private closing = false
  /** The last write error (ENOSPC, EIO…), null once a write succeeds again. */
  lastError: Error | null = null
  droppedBytes = 0
  /** Bytes that went in through splice(2) rather than through JavaScript. */
  splicedBytes = 0

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

  /** Whether a busy pipe may be spliced now: not while someone follows, who needs the bytes. */
  private canSplice(): boolean {
    return !this.spliceFailed && !this.closing && this.spliceSource === null && !this.followers.isFollowed(this.path) && kernelSplicer() !== undefined
  }

  /**
   * Move `source`'s bytes into the file in the kernel, after everything queued before, until the
   * run ends (`source.ended`, never called before this returns). False: read the pipe as before.
   */
  spliceFrom(source: SpliceSource): boolean {
    if (!this.canSplice()) return false
    this.spliceSource = source
    // Queued chunks go first; flush() starts the run once they are written.
    if (!this.writing) {
      this.writing = true
      queueMicrotask(() => { this.runSplices(source) })
    }
    return true
  }

  /** Resolve once every queued chunk is written. */
  idle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve))
  }

  async close(): Promise<void> {
    this.closing = true
    await this.idle()
    const fd = this.fd
    this.fd = null
    if (fd !== null) await closeAsync(fd).catch(() => undefined)
    await this.closeSpliceFd()
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
    if (this.spliceSource !== null) this.runSplices(this.spliceSource)
    else this.becomeIdle()
  }

  private becomeIdle(): void {
    this.writing = false
    release(this.idleWaiters)
  }

  /**
   * The queued chunks that fit before the size limit (a chunk is split at the limit), and the
   * releases of the chunks taken whole (a split chunk's stays with its rest).
   */
  private takeBatch(): { batch: Buffer[]; releases: ((() => void) | undefined)[] } {
    const { maxBytes } = this.policy
    let room = maxBytes <= 0 ? Number.POSITIVE_INFINITY : Math.max(1, maxBytes - this.size)
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

  /**
   * Splice from `source` at the end of the file, one call after another, with `writing` held so
   * that other writers queue behind. Each step is a bare callback from the pool: no promise, no
   * await, unless the file has to be (re)opened or rotated.
   */
  private runSplices(source: SpliceSource): void {
    const splicer = kernelSplicer()
    const end = (how: SpliceEnd): void => {
      this.spliceSource = null
      if (how === 'failed') this.spliceFailed = true
      source.ended()
      if (this.queue.length > 0) void this.flush()
      else this.becomeIdle()
    }
    if (splicer === undefined) {
      end('failed')
      return
    }
    let retried = false
    const step = (): void => {
      if (!source.wanted() || this.closing || this.queue.length > 0 || this.followers.isFollowed(this.path)) {
        end('yielded')
        return
      }
      const { maxBytes } = this.policy
      const length = maxBytes <= 0 ? SPLICE_BYTES : Math.min(SPLICE_BYTES, maxBytes - this.size)
      const fd = this.spliceFd
      if (length <= 0 || fd === null) {
        void this.prepareSplice().then((ready) => { if (ready) step(); else end('failed') })
        return
      }
      // Every write of ours ends where `size` says. An end elsewhere means another process writes
      // or truncated the file (logrotate's copytruncate): a splice at our offset could overwrite
      // its bytes or leave a hole, so this file goes back to O_APPEND writes for good.
      const offset = this.size
      if (splicer.toEnd(fd) !== offset) {
        end('failed')
        return
      }
      splicer.move(source.pipeFd, fd, length, (moved) => {
        if (moved > 0) {
          retried = false
          this.size += moved
          this.splicedBytes += moved
          this.lastError = null
          // Someone started following while the bytes moved: they get them from the file.
          if (this.followers.isFollowed(this.path)) void this.publishFromFile(offset, moved).then(() => { end('yielded') })
          else step()
        } else if (moved === 0) {
          end('dry')
        } else if (splicer.waiting(source.pipeFd) === 0) {
          // EAGAIN: the pipe is empty.
          end('dry')
        } else if (!retried) {
          // Bytes arrived after an EAGAIN, or the splice really failed: one more try tells.
          retried = true
          step()
        } else {
          end('failed')
        }
      })
    }
    step()
  }

  /** Rotate if the file is full, and open it for splicing: false if that failed. */
  private async prepareSplice(): Promise<boolean> {
    try {
      await this.rotateIfFull()
      const fd = this.fd ?? (await this.reopen())
      // Read-write, so that bytes spliced while someone started following can be read back.
      this.spliceFd ??= await openAsync(`/proc/self/fd/${fd}`, constants.O_RDWR)
      return true
    } catch (error) {
      this.lastError = error as Error
      return false
    }
  }

  /** A follower that arrived during a splice gets its bytes from the file, in order. */
  private async publishFromFile(offset: number, length: number): Promise<void> {
    const fd = this.spliceFd
    if (fd === null) return
    const data = Buffer.allocUnsafe(length)
    let got = 0
    try {
      while (got < length) {
        const { bytesRead } = await readAsync(fd, data, got, length - got, offset + got)
        if (bytesRead === 0) break
        got += bytesRead
      }
    } catch {
      // the bytes are in the file; the follower reads them from there if it reconnects
    }
    if (got > 0) this.followers.publish(this.path, data.subarray(0, got))
  }

  private async closeSpliceFd(): Promise<void> {
    const fd = this.spliceFd
    this.spliceFd = null
    if (fd !== null) await closeAsync(fd).catch(() => undefined)
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
      await this.closeSpliceFd()
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
