// A process is identified by its pid AND its start time (used by the core and the store), so a recycled pid is never mistaken
// for ours (field 22 of /proc/<pid>/stat, in clock ticks since boot).
import { readFileSync } from 'node:fs'

export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? null
  } catch {
    return null
  }
}

/** Is `pid` still the very process that had start time `startTime`? */
export function isSameProcess(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime
}
