// Signals go to the whole process group (-pgid), so children and grandchildren are reached too.
import { readdirSync, readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { isRunningProcess, isSameProcess } from '../system/proc-identity.js'

/**
 * Send `signal` to every process in the group. False when the group is already empty. Never
 * throws: EPERM (members we may not signal) counts as "still there".
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const CENSUS_MAX_AGE_MS = 15
let census: { at: number; groups: Set<number> } | undefined

/** Process groups with at least one member that is not a zombie, read from /proc (cached briefly). */
function groupsWithLiveMembers(): Set<number> {
  const now = Date.now()
  if (census !== undefined && now - census.at < CENSUS_MAX_AGE_MS) return census.groups
  const groups = new Set<number>()
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 4)
      if (fields[0] !== 'Z' && fields[0] !== 'X') groups.add(Number(fields[2]))
    } catch {
      // gone meanwhile
    }
  }
  census = { at: now, groups }
  return groups
}

/**
 * Is any process of the group still running? Zombies do not count: an orphan reparented to a
 * slow (or absent) reaper must not keep a stop waiting.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return groupsWithLiveMembers().has(pgid)
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

/**
 * Stop a process a previous run left behind, only if `pid` is still that process (start time):
 * SIGTERM to its group, SIGKILL after `graceMs`. A recycled pid is never signalled.
 */
export async function stopLeftover(pid: number, procStart: string, graceMs: number): Promise<boolean> {
  if (!isSameProcess(pid, procStart)) return false
  signalGroup(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (isRunningProcess(pid, procStart) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  // The group was ours a moment ago; a group id cannot be reused while any member lives.
  if (groupAlive(pid)) signalGroup(pid, 'SIGKILL')
  return true
}
