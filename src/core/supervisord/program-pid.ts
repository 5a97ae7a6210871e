// supervisord reports a pid right after its fork. Until that child has exec'd our `env -C … --`
// wrapper and the wrapper has exec'd the program, the pid is not the program yet: no program
// environment, another command line, and a signal sent then is lost (the fork's inherited
// Python handler catches it). The engine reports, and signals, a pid only once it is the program.
import { readFileSync } from 'node:fs'
import { isLiveProcess } from '../../system/proc-identity.js'
import { ENV_BINARY } from './program-section.js'

/** A fork execs within milliseconds; waiting for it stops after this long. */
const EXEC_WAIT_MS = 2000
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Is `pid` still supervisord's fork (its command line names `config`) or our env wrapper? */
export function notProgramYet(pid: number, config: string): boolean {
  let cmdline: string
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return false
  }
  // Read in the middle of an exec, the command line is empty for an instant (a zombie's is
  // empty too, and a zombie is not becoming anything).
  if (cmdline === '') return isLiveProcess(pid)
  const argv = cmdline.split('\0')
  return argv.includes(config) || (argv[0] === ENV_BINARY && argv[1] === '-C' && argv[3] === '--')
}

/**
 * Until `pid` is the program (or gone); bounded. True when it is the program and alive: the
 * caller records that, since a later look may fall on the program's own exec (a `sh -c '…; exec
 * prog'`), when the command line reads empty for an instant and would pass for the fork's again.
 * A pid that ended first is not marked (supervisord may give it to a later fork).
 */
export async function untilProgram(pid: number, config: string): Promise<boolean> {
  const deadline = Date.now() + EXEC_WAIT_MS
  for (;;) {
    if (!notProgramYet(pid, config)) return isLiveProcess(pid)
    if (Date.now() >= deadline) return false
    await delay(2)
  }
}
