import type { ChildProcess } from 'node:child_process'
import { lstatSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { isLiveProcess, isRunningProcess, statFields } from '../../src/system/proc-identity.js'

export async function waitUntil<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

export function untilExit(child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
    child.once('exit', () => { clearTimeout(timer); resolve() })
  })
}

const discarded: string[] = []
process.once('exit', () => { removeDiscarded() })
const BIG_FILE_BYTES = 1024 * 1024

/**
 * Remove a manager's temp dir without slowing the scenario that follows. On ext4 without a
 * journal (this machine's root file system), every new inode skips the ones freed in the last
 * 60 s (300 s while their table block is dirty), reading their blocks one by one. Deleting a
 * run's 2000 log files made the next manager's 2000 creations a quarter slower (P1, see
 * bench/findings.md), and only managers that write log files paid it. So the big files go now
 * (a few inodes, most of the space) and the many small ones at the end of the bench (a bench
 * killed by a signal leaves them in the temp folder, named bench-*).
 */
export function discardDir(dir: string): void {
  removeBigFiles(dir)
  discarded.push(dir)
}

function removeBigFiles(dir: string): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const path = join(dir, name)
    try {
      const stat = lstatSync(path)
      if (stat.isDirectory()) removeBigFiles(path)
      else if (stat.size >= BIG_FILE_BYTES) unlinkSync(path)
    } catch {
      // gone meanwhile
    }
  }
}

/** Remove every dir given to `discardDir` so far (also done when the process exits). */
export function removeDiscarded(): void {
  for (const dir of discarded.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch (error) {
      console.error(`[bench] could not remove ${dir}: ${(error as Error).message}`)
    }
  }
}

/** Does `pid` exist and is it not a zombie? */
export const alive = isLiveProcess

/** Resident memory of a process in bytes. */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024
}

/** CPU time (user + system) of a process in seconds. */
export function cpuSecondsOf(pid: number): number {
  const fields = statFields(pid)
  if (fields === null) throw new Error(`process ${pid} is gone`)
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** A process by pid and start time (field 22 of /proc/<pid>/stat): a recycled pid is never taken for it. */
export interface ProcessIdentity {
  readonly pid: number
  readonly start: string
  readonly command: string
}

function identify(pid: number): (ProcessIdentity & { ppid: number }) | undefined {
  const fields = statFields(pid)
  if (fields === null || fields[0] === 'Z' || fields[0] === 'X') return undefined
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '')
    // Kernel threads have no command line: their name, as ps shows it.
    const command = argv.length > 0 ? argv.join(' ') : readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
    return { pid, ppid: Number(fields[1]), start: fields[19] ?? '', command }
  } catch {
    return undefined
  }
}

/** The programs the scenarios run (scenarios.ts): `sleep 1xxxxx`, P4's `seq 1 N`, P7's flood. */
const SCENARIO_PROGRAM = /^(\S*\/)?(sleep 1\d{5}|seq 1 \d+|yes flooding the log at full speed)$/

/**
 * What a manager may leave behind: every live process under its own pids, and every program of
 * the scenarios anywhere on the machine, whoever its parent now is (a manager that dies first
 * leaves its programs to init).
 */
export function startedBy(roots: readonly number[]): ProcessIdentity[] {
  const all = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).map(identify).filter((p) => p !== undefined)
  const found = new Map(all.filter((p) => roots.includes(p.pid) || SCENARIO_PROGRAM.test(p.command)).map((p) => [p.pid, p]))
  for (let grew = true; grew;) {
    grew = false
    for (const p of all) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.set(p.pid, p)
        grew = true
      }
    }
  }
  return [...found.values()].map(({ pid, start, command }) => ({ pid, start, command }))
}

/** Those of `processes` still alive after up to `timeoutMs` (zombies count as gone). */
export async function stillAlive(processes: readonly ProcessIdentity[], timeoutMs: number): Promise<ProcessIdentity[]> {
  const living = () => processes.filter((p) => isRunningProcess(p.pid, p.start))
  const deadline = Date.now() + timeoutMs
  while (living().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  return living()
}
