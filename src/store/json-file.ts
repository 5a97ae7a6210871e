// A JSON data file read once at start and replaced atomically on change; writes are coalesced.
import { readFile } from 'node:fs/promises'
import { removeStaleTemps, writeFileAtomic } from './atomic-write.js'
import { CoalescingWriter } from './coalescing-writer.js'
import { ConfigFileError } from './config-file-error.js'

export class JsonFile {
  readonly path: string
  private readonly writer: CoalescingWriter
  private readonly indent: number

  /** `compact`: one line, for files only the daemon reads (a third faster to write, and smaller). */
  constructor(path: string, options: { compact?: boolean } = {}) {
    this.path = path
    this.indent = options.compact === true ? 0 : 2
    this.writer = new CoalescingWriter((data) => writeFileAtomic(path, data, 0o600))
  }

  /** The parsed content, or null when the file does not exist. Never rewrites a bad file. */
  async read(): Promise<unknown> {
    await removeStaleTemps(this.path)
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new ConfigFileError(this.path, `cannot be read (${(error as Error).message})`, error)
    }
    try {
      return JSON.parse(text) as unknown
    } catch (error) {
      throw new ConfigFileError(this.path, `is not valid JSON (${(error as Error).message}); fix or move it away, it was left untouched`, error)
    }
  }

  /** Persist whatever `current` returns when the write happens (for state that changes often). */
  writeLatest(current: () => unknown): Promise<void> {
    return this.writer.save(() => `${JSON.stringify(current(), null, this.indent)}\n`)
  }

  /** Persist `value` (serialised only if this state is the one that gets written). */
  write(value: unknown): Promise<void> {
    return this.writer.save(() => `${JSON.stringify(value, null, this.indent)}\n`)
  }
}
