// What the daemon decides for the supervisord engine, where supervisord's own rules would differ
// from the native machine: a retry after an attempt the daemon's checks refused, and the restart
// after an exit (the sections say autorestart=false). Both run later as a start of their own,
// unless a command comes first.
import { backoffDelayMs, crashLoopDelayMs, nextCrashCount, shouldRestart } from '../restart-policy.js'
import type { ProcessInfo, Slot } from './slot.js'

export type Rerun = 'retry' | 'autorestart'

export class RestartRules {
  private readonly run: (slot: Slot, why: Rerun) => void

  /** `run` starts the slot again when a retry or an autorestart is due. */
  constructor(run: (slot: Slot, why: Rerun) => void) {
    this.run = run
  }

  /**
   * An attempt the checks refused counts as a failed start, as in the native machine: BACKOFF and
   * a new attempt after 1 s, 2 s … while startretries allow, then FATAL.
   */
  refuse(slot: Slot, problem: string): void {
    slot.failures++
    slot.spawnError = problem
    if (slot.failures > slot.program.startretries) {
      slot.local = 'FATAL'
      return
    }
    slot.local = 'BACKOFF'
    this.schedule(slot, backoffDelayMs(slot.failures), 'retry')
  }

  /** A RUNNING program exited: restart it by the native rules (exitcodes against 128 + signal, crash-loop delay). */
  exited(slot: Slot, info: ProcessInfo): void {
    if (!slot.program.enabled || !shouldRestart(slot.program.autorestart, slot.program.exitcodes, slot.exitStatus)) return
    slot.crashes = nextCrashCount(slot.crashes, Math.max(0, info.stop - info.start) * 1000)
    this.schedule(slot, crashLoopDelayMs(slot.crashes), 'autorestart')
  }

  /** Drop the retry or autorestart waiting for `slot`, if any. */
  cancel(slot: Slot): void {
    if (slot.pending === null) return
    clearTimeout(slot.pending)
    slot.pending = null
  }

  private schedule(slot: Slot, ms: number, why: Rerun): void {
    this.cancel(slot)
    slot.pending = setTimeout(() => {
      slot.pending = null
      this.run(slot, why)
    }, ms)
  }
}
