// Appends captured output to a log file without blocking the event loop: chunks are queued and
// written in batches (writev); when the queue grows past the high-water mark the producer is
// asked to pause, so a fast writer is limited by the disk and the daemon's memory stays bounded.
import { closeSync, constants, openSync, writev } from 'node:fs'

const HIGH_WATER_MARK = 1024 * 1024
const FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT
export const LOG_FILE_MODE = 0o640

export class LogWriter {
  readonly path: string
  private fd: number | null
  private queue: Buffer[] = []
  private queuedBytes = 0
  private writing = false
  private drainWaiters: (() => void)[] = []
  private closeWaiters: (() => void)[] = []
  private closing = false
  /** The last write error (ENOSPC, EIO…), for health reporting. */
  lastError: Error | null = null
  droppedBytes = 0

  private constructor(path: string, fd: number) {
    this.path = path
    this.fd = fd
  }

  /** Open synchronously so a bad path is a spawn error named at once. */
  static open(path: string): LogWriter {
    return new LogWriter(path, openSync(path, FLAGS, LOG_FILE_MODE))
  }

  /** Queue a chunk; false means "pause until onDrain". */
  write(chunk: Buffer): boolean {
    if (this.fd === null) return true
    this.queue.push(chunk)
    this.queuedBytes += chunk.length
    if (!this.writing) this.flush()
    return this.queuedBytes < HIGH_WATER_MARK
  }

  onDrain(callback: () => void): void {
    if (this.queuedBytes < HIGH_WATER_MARK) callback()
    else this.drainWaiters.push(callback)
  }

  /** Flush what is queued, then close the file. */
  close(): Promise<void> {
    if (this.fd === null) return Promise.resolve()
    this.closing = true
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve)
      if (!this.writing) this.finishClose()
    })
  }

  private flush(): void {
    const fd = this.fd
    if (fd === null || this.queue.length === 0) {
      this.writing = false
      if (this.closing) this.finishClose()
      return
    }
    this.writing = true
    const batch = this.queue
    this.queue = []
    writev(fd, batch, (error, written) => {
      const total = batch.reduce((n, b) => n + b.length, 0)
      if (error !== null) {
        this.lastError = error
        this.droppedBytes += total
      } else if (written < total) {
        // A short write (disk nearly full): put the rest back in front.
        this.queue.unshift(...remainder(batch, written))
      } else {
        this.lastError = null
      }
      this.queuedBytes -= error === null ? written : total
      if (this.queuedBytes < HIGH_WATER_MARK) this.releaseDrainWaiters()
      this.flush()
    })
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const waiter of waiters) waiter()
  }

  private finishClose(): void {
    if (this.fd !== null) {
      closeSync(this.fd)
      this.fd = null
    }
    this.releaseDrainWaiters()
    const waiters = this.closeWaiters
    this.closeWaiters = []
    for (const waiter of waiters) waiter()
  }
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
