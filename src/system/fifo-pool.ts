// Named pipes (FIFOs) for program output. A program writes into a FIFO instead of a pipe the
// daemon alone holds, so its output has somewhere to go while the daemon is down: the daemon
// can die and a new one reads on (see docs/RELIABILITY.md, adoption).
//
// With glibc, a FIFO is made when it is taken: mkfifo(3) is one syscall. Node alone cannot
// mknod; there FIFOs come from the `mkfifo` tool, and one process per spawn would add a fork to
// every start, so they are made in batches ahead of need and renamed when taken (a rename is
// one syscall). That pool refills in the background; an empty pool makes a batch on the spot.
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { nativeMkfifo, type MakeFifo } from './mkfifo.js'

const BATCH = 64
const LOW_WATER = 16
const SPARE_PREFIX = '.spare-'

export class FifoPool {
  private readonly dir: string
  private readonly spares: string[] = []
  private refilling = false
  private readonly mkfifo: MakeFifo | undefined

  /** `maker`: mkfifo(3) where glibc has it, else the `mkfifo` tool. */
  constructor(dir: string, maker: MakeFifo | 'mkfifo-tool' = nativeMkfifo() ?? 'mkfifo-tool') {
    this.dir = dir
    const mkfifo = maker === 'mkfifo-tool' ? undefined : maker
    this.mkfifo = mkfifo
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    // Spares of an earlier run are never in use: reuse them (or drop them, if none are needed).
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(SPARE_PREFIX)) continue
      if (mkfifo === undefined) this.spares.push(join(dir, name))
      else rmSync(join(dir, name), { force: true })
    }
  }

  /** A new FIFO at `<dir>/<name>` (replacing a stale one of that name). */
  take(name: string): string {
    if (this.mkfifo !== undefined) return this.makeAt(join(this.dir, name), this.mkfifo)
    if (this.spares.length === 0) this.make(BATCH, 'now')
    const spare = this.spares.pop()
    if (spare === undefined) throw new Error('no FIFO could be made')
    const path = join(this.dir, name)
    renameSync(spare, path)
    if (this.spares.length < LOW_WATER) this.make(BATCH, 'background')
    return path
  }

  /** FIFOs that are not spares, here and in `formerDirs` (to clean up what no record refers to). */
  paths(formerDirs: readonly string[] = []): string[] {
    const found: string[] = []
    for (const dir of [this.dir, ...formerDirs]) {
      let names: string[]
      try {
        names = readdirSync(dir)
      } catch {
        continue
      }
      for (const name of names) if (!name.startsWith(SPARE_PREFIX)) found.push(join(dir, name))
    }
    return found
  }

  remove(path: string): void {
    rmSync(path, { force: true })
  }

  private makeAt(path: string, mkfifo: MakeFifo): string {
    try {
      mkfifo(path, 0o600)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      rmSync(path, { force: true })
      mkfifo(path, 0o600)
    }
    return path
  }

  private make(count: number, when: 'now' | 'background'): void {
    const paths = Array.from({ length: count }, () => join(this.dir, `${SPARE_PREFIX}${randomBytes(8).toString('hex')}`))
    const args = ['-m', '600', '--', ...paths]
    if (when === 'now') {
      execFileSync('mkfifo', args, { stdio: 'ignore' })
      this.spares.push(...paths)
      return
    }
    if (this.refilling) return
    this.refilling = true
    execFile('mkfifo', args, (error) => {
      this.refilling = false
      // A failed refill is retried by the next take, synchronously, where its error is seen.
      if (error === null) this.spares.push(...paths)
    })
  }
}
