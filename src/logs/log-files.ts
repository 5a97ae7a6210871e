// Every open log file of the daemon, by path: writers of one path share one LogFile (one queue,
// one rotation), and followers subscribe to a path whether or not a process writes it now.
import { close, closeSync, constants, fstat, fstatSync, open, openSync, type Stats } from 'node:fs'
import { DEFAULT_ROTATION, LOG_FILE_MODE, LogFile, type ChunkListener, type Followers, type RotationPolicy } from './log-file.js'

// O_NONBLOCK: a FIFO planted at a log path must fail the open, not freeze the event loop.
const FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK

interface Entry {
  file: LogFile
  users: number
}

export interface OpenOptions {
  readonly policy?: RotationPolicy
  /** Opens the file instead of a plain open(2): used for paths chosen by a program's user. */
  readonly openFd?: (path: string) => number
}

export class LogFiles implements Followers {
  private readonly open = new Map<string, Entry>()
  /** Opens under way in the thread pool, by path: a second writer of the path waits for the first. */
  private readonly opening = new Map<string, Promise<LogFile>>()
  private readonly followers = new Map<string, Set<ChunkListener>>()

  /** Open (or share) the log at `path`; synchronous so a bad path fails the spawn at once. */
  acquire(path: string, options: OpenOptions = {}): LogFile {
    const policy = options.policy ?? DEFAULT_ROTATION
    const existing = this.open.get(path)
    if (existing !== undefined) {
      existing.users++
      existing.file.policy = policy
      return existing.file
    }
    const fd = options.openFd === undefined ? openSync(path, FLAGS, LOG_FILE_MODE) : options.openFd(path)
    return this.add(path, fd, fstatSync(fd), policy, options.openFd)
  }

  /**
   * `acquire` with the open(2) in libuv's pool: creating a file on a journaled disk takes 0.1–0.5 ms
   * of waiting, which the event loop spends on other work instead. Paths opened through `openFd`
   * (as a program's user) are opened synchronously, as `acquire` does.
   */
  async acquireAsync(path: string, options: OpenOptions = {}): Promise<LogFile> {
    for (let pending = this.opening.get(path); pending !== undefined; pending = this.opening.get(path)) {
      await pending.catch(() => undefined)
    }
    if (this.open.has(path) || options.openFd !== undefined) return this.acquire(path, options)
    const opened = openAsync(path).then(({ fd, stats }) => this.add(path, fd, stats, options.policy ?? DEFAULT_ROTATION, undefined))
    this.opening.set(path, opened)
    try {
      return await opened
    } finally {
      this.opening.delete(path)
    }
  }

  private add(path: string, fd: number, stats: Stats, policy: RotationPolicy, openFd: OpenOptions['openFd']): LogFile {
    if (!stats.isFile()) {
      closeSync(fd)
      throw new Error(`log file '${path}' is not a regular file`)
    }
    const file = new LogFile({ path, fd, size: stats.size, policy, followers: this, openFd })
    this.open.set(path, { file, users: 1 })
    return file
  }

  /** One writer is done; the last one flushes and closes the file. */
  async release(file: LogFile): Promise<void> {
    const entry = this.open.get(file.path)
    if (entry?.file !== file) return
    entry.users--
    if (entry.users > 0) return
    this.open.delete(file.path)
    await file.close()
  }

  /** The open LogFile of a path, if a process writes it now. */
  current(path: string): LogFile | undefined {
    return this.open.get(path)?.file
  }

  /** Receive every chunk written to `path` from now on, across rotations and restarts. */
  follow(path: string, listener: ChunkListener): () => void {
    let set = this.followers.get(path)
    if (set === undefined) {
      set = new Set()
      this.followers.set(path, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.followers.delete(path)
    }
  }

  /** Write errors per path, for health. */
  problems(): string[] {
    return [...this.open.values()].flatMap(({ file }) => (file.lastError === null ? [] : [`${file.path}: ${file.lastError.message}`]))
  }

  isFollowed(path: string): boolean {
    return this.followers.has(path)
  }

  publish(path: string, chunk: Buffer): void {
    const set = this.followers.get(path)
    if (set === undefined) return
    for (const listener of set) listener(chunk)
  }
}

function openAsync(path: string): Promise<{ fd: number; stats: Stats }> {
  return new Promise((resolve, reject) => {
    open(path, FLAGS, LOG_FILE_MODE, (openError, fd) => {
      if (openError !== null) {
        reject(openError)
        return
      }
      fstat(fd, (statError, stats) => {
        if (statError === null) resolve({ fd, stats })
        else close(fd, () => { reject(statError) })
      })
    })
  })
}
