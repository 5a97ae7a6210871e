// When our private supervisord dies, its programs die with it or are left to init. The recovery
// stops what it left (every program carries our marker), starts a new supervisord with waits
// that double while it fails, and starts again the programs that were meant to run.
import { stopUnrecorded } from '../adoption.js'
import type { Slot } from './slot.js'

/** After supervisord died: wait this long before the first restart, doubling up to the cap. */
const RESTART_BASE_MS = 1000
const RESTART_CAP_MS = 30_000
/** A supervisord up this long counts as healthy again: the next restart waits the base delay. */
const HEALTHY_AFTER_MS = 60_000

/** What the recovery needs from the engine it serves. */
export interface RecoveryHost {
  readonly scope: string
  /** Start a new supervisord; rejects when it cannot be started. */
  restart(): Promise<void>
  closed(): boolean
  /** Whether supervisord answers now. */
  isUp(): boolean
  slots(): Iterable<Slot>
  /** Whether a slot was meant to run when supervisord died (a pending retry counts). */
  wanted(slot: Slot): boolean
  cancelRestart(slot: Slot): void
  /** supervisord is gone: stop reading it, and show `problem` until `recovered`. */
  lost(problem: string): void
  /** supervisord cannot be started again (yet): show `problem`. */
  stillDown(problem: string): void
  /** A new supervisord answers: read its state before the programs start. */
  back(): Promise<void>
  /** Start a slot again after the restart, as an autorestart. */
  startAgain(slot: Slot): Promise<void>
  /** Every wanted program has been started again (or failed to, logged). */
  recovered(): void
  log(level: 'warn' | 'error', message: string): void
}

export class SupervisordRecovery {
  private readonly host: RecoveryHost
  private readonly baseMs: number
  private readonly capMs: number
  private restartDelay: number

  constructor(host: RecoveryHost, delays: { baseMs?: number; capMs?: number } = {}) {
    this.host = host
    this.baseMs = delays.baseMs ?? RESTART_BASE_MS
    this.capMs = delays.capMs ?? RESTART_CAP_MS
    this.restartDelay = this.baseMs
  }

  /** Programs a dead supervisord left behind carry our marker: stop them before a new one starts. */
  async stopOrphans(): Promise<number> {
    const stopped = await stopUnrecorded(this.host.scope, new Set())
    if (stopped.length > 0) this.host.log('warn', `stopped ${stopped.length} programs left behind by a supervisord that is gone`)
    return stopped.length
  }

  onExit(reason: string): void {
    if (this.host.closed()) return
    // Retries and autorestarts due meanwhile are part of the restart below.
    const wanted = [...this.host.slots()].filter((slot) => this.host.wanted(slot))
    for (const slot of wanted) this.host.cancelRestart(slot)
    this.host.lost(`${reason}; restarting it`)
    this.host.log('error', `${reason}: its programs are stopped, then supervisord and ${wanted.length} programs are started again`)
    void this.recover(wanted)
  }

  private async recover(wanted: Slot[]): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, this.restartDelay))
      if (this.host.closed()) return
      try {
        await this.stopOrphans()
        await this.host.restart()
        break
      } catch (error) {
        this.restartDelay = Math.min(this.restartDelay * 2, this.capMs)
        const problem = `supervisord cannot be restarted: ${(error as Error).message}; trying again in ${this.restartDelay / 1000} s`
        this.host.stillDown(problem)
        this.host.log('error', problem)
      }
    }
    await this.host.back()
    await Promise.all(wanted.map((slot) => this.host.startAgain(slot).catch((error: unknown) => {
      this.host.log('error', `${slot.name}: cannot start again after the supervisord restart: ${(error as Error).message}`)
    })))
    this.host.recovered()
    this.host.log('warn', `supervisord is running again; ${wanted.length} programs started again`)
    setTimeout(() => { if (this.host.isUp()) this.restartDelay = this.baseMs }, HEALTHY_AFTER_MS).unref()
  }
}
