// As PID 1 (a container's entrypoint, or `unshare --pid`), every orphan in the namespace is
// reparented to the daemon, and the kernel keeps each one as a zombie until its parent waits
// for it. Node waits only for the children it spawned itself, so the daemon waits for the
// others through libc's waitpid (koffi, a maintained FFI with prebuilt binaries, which the
// spawner uses too), except the children posix-spawn.ts collects itself.
import { readdirSync, readFileSync } from 'node:fs'
import { libc } from './libc.js'
import { isPosixChild } from './posix-spawn.js'

const WNOHANG = 1
const SCAN_INTERVAL_MS = 500

type WaitPid = (pid: number, status: number[], options: number) => number

function loadWaitPid(): WaitPid {
  const lib = libc()
  if (lib === undefined) throw new Error('cannot reap orphans as PID 1: glibc could not be loaded through koffi')
  return lib.func('int waitpid(int pid, _Out_ int *status, int options)')
}

/** Zombies whose parent is this process. */
function ownZombies(): number[] {
  const zombies: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 2)
      if (fields[0] === 'Z' && Number(fields[1]) === process.pid) zombies.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return zombies
}

/**
 * Pids of the children Node itself spawned and has not reaped yet: their exit is Node's to
 * collect (it reports it to the ChildProcess). A child stays an active handle until then.
 */
function nodeChildren(): Set<number> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()
  const pids = new Set<number>()
  for (const handle of handles) {
    const pid = (handle as { pid?: unknown }).pid
    if (typeof pid === 'number') pids.add(pid)
  }
  return pids
}

export interface ZombieReaper {
  /** How many orphans were reaped so far. */
  readonly reaped: () => number
  stop(): void
}

/** Reap orphans when this process is PID 1; undefined otherwise (someone else reaps them). */
export async function startZombieReaper(): Promise<ZombieReaper | undefined> {
  if (process.pid !== 1) return undefined
  const waitpid = loadWaitPid()
  let reaped = 0
  const scan = () => {
    const zombies = ownZombies()
    if (zombies.length === 0) return
    const ours = nodeChildren()
    for (const pid of zombies) {
      if (ours.has(pid) || isPosixChild(pid)) continue
      if (waitpid(pid, [0], WNOHANG) === pid) reaped++
    }
  }
  const timer = setInterval(scan, SCAN_INTERVAL_MS)
  return { reaped: () => reaped, stop: () => { clearInterval(timer) } }
}
