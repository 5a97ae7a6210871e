// The truth about processes, from the kernel: kill(pid, 0) and /proc/<pid>/stat.
import { readFileSync } from 'node:fs'

export interface ProcStat {
  pid: number
  state: string
  ppid: number
  pgid: number
  sid: number
}

export function procStat(pid: number): ProcStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name may hold spaces and parentheses: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgid: Number(rest[2]), sid: Number(rest[3]) }
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const stat = procStat(pid)
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X'
}

export function procStatus(pid: number): Record<string, string> {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Object.fromEntries(text.split('\n').filter(Boolean).map((line) => {
    const at = line.indexOf(':')
    return [line.slice(0, at), line.slice(at + 1).trim()]
  }))
}

export function procEnviron(pid: number): Record<string, string> {
  const text = readFileSync(`/proc/${pid}/environ`, 'utf8')
  return Object.fromEntries(text.split('\0').filter(Boolean).map((entry) => {
    const at = entry.indexOf('=')
    return [entry.slice(0, at), entry.slice(at + 1)]
  }))
}

/** Kill leftovers a failed test may leave; only the pids the test itself learned. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
