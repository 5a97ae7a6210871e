// The timers of one instance's state machine. Each timer is armed at most once at a time, and
// firing feeds the machine the event it stands for.
import type { MachineEvent, TimerName } from './states.js'

const EVENT_OF: Readonly<Record<TimerName, MachineEvent>> = {
  startsecs: { type: 'startsecs_elapsed' },
  backoff: { type: 'backoff_elapsed' },
  restart: { type: 'restart_due' },
  stopwait: { type: 'stopwait_elapsed' },
}

export class MachineTimers {
  /** Armed timers, each with the function that cancels it. */
  private readonly armed = new Map<TimerName, () => void>()
  private readonly fire: (event: MachineEvent) => void

  constructor(fire: (event: MachineEvent) => void) {
    this.fire = fire
  }

  /** (Re)arm `timer` to fire in `ms`; an armed one of the same name is cancelled first. */
  arm(timer: TimerName, ms: number): void {
    this.armed.get(timer)?.()
    const fire = () => {
      this.armed.delete(timer)
      this.fire(EVENT_OF[timer])
    }
    // A zero delay (an immediate restart) runs on the next turn of the loop, not a timer tick
    // (setTimeout's minimum of 1 ms was a third of a respawn).
    if (ms <= 0) {
      const immediate = setImmediate(fire)
      this.armed.set(timer, () => { clearImmediate(immediate) })
    } else {
      const timeout = setTimeout(fire, ms)
      this.armed.set(timer, () => { clearTimeout(timeout) })
    }
  }

  cancelAll(): void {
    for (const cancel of this.armed.values()) cancel()
    this.armed.clear()
  }
}
