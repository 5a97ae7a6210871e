// Named pipes (FIFOs) for program output. A program writes into a FIFO instead of a pipe the
// daemon alone holds, so its output has somewhere to go while the daemon is down: the daemon
// can die and a new one reads on (see docs/RELIABILITY.md, adoption).
//
// Node cannot mknod, so FIFOs come from `mkfifo`; one process per spawn would add a fork to
// every start, so they are made in batches ahead of need and renamed when taken (a rename is
// one syscall). The pool refills in the background; an empty pool makes a batch on the spot.
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const BATCH = 64
const LOW_WATER = 16
const SPARE_PREFIX = '.spare-'

export class FifoPool {
  private readonly dir: string
  private readonly spares: string[] = []
  private refilling = false

  constructor(dir: string) {
    this.dir = dir
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    // Spares of an earlier run are never in use: reuse them.
    for (const name of readdirSync(dir)) if (name.startsWith(SPARE_PREFIX)) this.spares.push(join(dir, name))
  }

  /** A new FIFO at `<dir>/<name>` (replacing a stale one of that name). */
  take(name: string): string {
    if (this.spares.length === 0) this.make(BATCH, 'now')
    const spare = this.spares.pop()
    if (spare === undefined) throw new Error('no FIFO could be made')
    const path = join(this.dir, name)
    renameSync(spare, path)
    if (this.spares.length < LOW_WATER) this.make(BATCH, 'background')
    return path
  }

  /** Names in the folder that are not spares (to clean up what no record refers to). */
  names(): string[] {
    return readdirSync(this.dir).filter((name) => !name.startsWith(SPARE_PREFIX))
  }

  pathOf(name: string): string {
    return join(this.dir, name)
  }

  remove(path: string): void {
    rmSync(path, { force: true })
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
