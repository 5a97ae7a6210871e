// A process is identified by its pid AND its start time (used by the core and the store), so a recycled pid is never mistaken
// for ours (field 22 of /proc/<pid>/stat, in clock ticks since boot).
import { readFileSync } from 'node:fs'

/** Fields after the command name of /proc/<pid>/stat (index 0 is the state), or null when gone. */
export function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

export function processStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null
}

/** Is `pid` still the process that had start time `startTime`, and not a zombie waiting to be reaped? */
export function isRunningProcess(pid: number, startTime: string): boolean {
  const fields = statFields(pid)
  if (fields === null || fields[19] !== startTime) return false
  return fields[0] !== 'Z' && fields[0] !== 'X'
}

/** Does `pid` exist and is it not a zombie (whatever process it is)? */
export function isLiveProcess(pid: number): boolean {
  const state = statFields(pid)?.[0]
  return state !== undefined && state !== 'Z' && state !== 'X'
}

/** Is `pid` still the very process that had start time `startTime`? */
export function isSameProcess(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime
}
