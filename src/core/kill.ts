// Signals go to the whole process group (-pgid), so children and grandchildren are reached too.
import { constants } from 'node:os'

/** Send `signal` to every process in the group. False when the group is already empty. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

/** Is any process of the group still there? EPERM means it exists but is not ours to signal. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** `exit_status` as the contract defines it: the code, or 128 + signal number. */
export function exitStatusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  const number = signal === null ? undefined : constants.signals[signal]
  return 128 + (number ?? 0)
}

export function toSignal(name: string): NodeJS.Signals {
  return `SIG${name}` as NodeJS.Signals
}
