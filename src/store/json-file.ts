// A JSON data file read once at start and replaced atomically on change; writes are coalesced.
import { readFile } from 'node:fs/promises'
import { removeStaleTemps, writeFileAtomic } from './atomic-write.js'
import { CoalescingWriter } from './coalescing-writer.js'
import { ConfigFileError } from './config-file-error.js'

export class JsonFile {
  readonly path: string
  private readonly writer: CoalescingWriter
  private readonly indent: number
  /** Each element `writeLatestList` wrote, as it sits in the file (indented, UTF-8). */
  private readonly elementBytes = new WeakMap<object, Buffer>()
  private readonly punctuation: { open: Buffer; comma: Buffer; close: Buffer }

  /** `compact`: one line, for files only the daemon reads (a third faster to write, and smaller). */
  constructor(path: string, options: { compact?: boolean } = {}) {
    this.path = path
    this.indent = options.compact === true ? 0 : 2
    const newline = this.indent > 0 ? '\n' : ''
    this.punctuation = { open: Buffer.from(`[${newline}`), comma: Buffer.from(`,${newline}`), close: Buffer.from(`${newline}]\n`) }
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

  /**
   * Persist the list `current` returns when the write happens (for state that changes often),
   * byte for byte as `write` would. Each element is serialised once, and its bytes are kept (by
   * identity) for the writes after: a burst of 1000 adds rewrote 29 MB of unchanged programs,
   * as strings big enough for V8's large-object space. So an element must never change once
   * saved; a change is a new object.
   */
  writeLatestList(current: () => readonly object[]): Promise<void> {
    return this.writer.save(() => this.listBytes(current()))
  }

  private listBytes(list: readonly object[]): Buffer[] {
    if (list.length === 0) return [Buffer.from('[]\n')]
    const { open, comma, close } = this.punctuation
    const chunks: Buffer[] = [open]
    for (const element of list) {
      let bytes = this.elementBytes.get(element)
      if (bytes === undefined) {
        const json = JSON.stringify(element, null, this.indent)
        // One level deeper than JSON.stringify(element) puts it.
        const pad = ' '.repeat(this.indent)
        bytes = Buffer.from(this.indent > 0 ? pad + json.replaceAll('\n', `\n${pad}`) : json)
        this.elementBytes.set(element, bytes)
      }
      if (chunks.length > 1) chunks.push(comma)
      chunks.push(bytes)
    }
    chunks.push(close)
    return chunks
  }

  /** Persist `value` (serialised only if this state is the one that gets written). */
  write(value: unknown): Promise<void> {
    return this.writer.save(() => `${JSON.stringify(value, null, this.indent)}\n`)
  }
}
