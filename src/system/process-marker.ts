// Every process the daemon spawns carries HOODY_DAEMON_PROCESS=<scope>/<id>/<port> in its
// environment. The record of live processes is written just after a spawn; a daemon killed in
// between would leave a process no record names. The marker finds those too.
import { readdirSync, readFileSync } from 'node:fs'

export const MARKER_VARIABLE = 'HOODY_DAEMON_PROCESS'

export interface MarkedProcess {
  readonly pid: number
  readonly ppid: number
  readonly pgid: number
  readonly procStart: string
  readonly id: string
  readonly port: number
}

export function markerOf(scope: string, id: string, port: number): string {
  return `${scope}/${id}/${port}`
}

/** Live processes (not zombies) whose environment carries a marker of `scope`. */
export function findMarkedProcesses(scope: string): MarkedProcess[] {
  const needle = Buffer.from(`\0${MARKER_VARIABLE}=${scope}/`)
  const found: MarkedProcess[] = []
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    try {
      // A leading NUL lets the first variable match like the others.
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry}/environ`)])
      const at = environ.indexOf(needle)
      if (at === -1) continue
      const end = environ.indexOf(0, at + 1)
      const value = environ.subarray(at + needle.length, end === -1 ? environ.length : end).toString('utf8')
      const slash = value.lastIndexOf('/')
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (slash === -1 || fields[0] === 'Z' || fields[0] === 'X') continue
      found.push({
        pid, ppid: Number(fields[1]), pgid: Number(fields[2]), procStart: fields[19] ?? '',
        id: value.slice(0, slash), port: Number(value.slice(slash + 1)),
      })
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}
