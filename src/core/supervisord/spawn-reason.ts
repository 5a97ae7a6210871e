// Why a supervisord start attempt failed, in the native engine's words. supervisord only says
// "Exited too quickly" for most failures (our wrapper, /usr/bin/env, fails after the fork), so the
// reason is found again by the native spawner's own pre-spawn checks (preSpawnProblem).
import { openSync, closeSync, fstatSync, readSync } from 'node:fs'
import { constants } from 'node:os'
import type { Program } from '../../schema/program.js'
import { openLogAs } from '../../logs/safe-open.js'
import type { LogPaths } from '../engine.js'
import { portHolder } from '../port-check.js'
import { preSpawnProblem } from '../spawner.js'
import { daemonIsRoot, findUserSync, identityOf, isDaemonUser } from '../users.js'

export interface AttemptInputs {
  readonly user: string
  /** The working directory the wrapper changes to. */
  readonly directory: string
  /** What the wrapper executes, and the PATH it searches. */
  readonly file: string
  readonly path: string | undefined
  /** 0 for a single-instance program. */
  readonly port: number
}

/** What would stop an attempt before the program runs (the native spawner's checks), if anything. */
export function attemptProblem(inputs: AttemptInputs): string | undefined {
  const problem = preSpawnProblem({ user: inputs.user, directory: inputs.directory, file: inputs.file, path: inputs.path })
  if (problem !== undefined) return problem
  if (inputs.port !== 0) {
    const holder = portHolder(inputs.port)
    if (holder !== undefined) return `port ${inputs.port} is already in use${holder === '' ? '' : ` by ${holder}`}`
  }
  return undefined
}

/**
 * The spawn_error of an instance supervisord reports in BACKOFF or FATAL. `spawnerr` is
 * supervisord's own reason; "Exited too quickly" is replaced by what our checks find, or by the
 * native engine's "exited with status N before startsecs".
 */
export function spawnErrorOf(spawnerr: string, inputs: AttemptInputs, exitStatus: number | null, startsecs: number): string {
  if (spawnerr !== '' && !spawnerr.startsWith('Exited too quickly')) {
    const missing = /^can't find command '(.*)'$/.exec(spawnerr)
    if (missing !== null) return `executable '${missing[1] ?? ''}' not found in PATH`
    return spawnerr
  }
  return attemptProblem(inputs) ?? `exited with status ${exitStatus ?? 'unknown'} before startsecs (${startsecs} s)`
}

/**
 * supervisord opens log files as root. A log path the program chose is first opened as the
 * program's user would (no symlink followed, no file that user could not write, a new file
 * handed to that user), as the native engine does; a refusal is the attempt's spawn error.
 */
export function logAccessProblem(program: Program, logs: LogPaths): string | undefined {
  if (!daemonIsRoot() || isDaemonUser(program.user)) return undefined
  const owner = findUserSync(program.user)
  if (owner === undefined) return undefined
  const chosen = [
    program.stdout_logfile === '' ? null : logs.stdout,
    program.redirect_stderr || program.stderr_logfile === '' ? null : logs.stderr,
  ]
  for (const path of chosen) {
    if (path === null) continue
    try {
      closeSync(openLogAs(path, identityOf(owner)))
    } catch (error) {
      return (error as Error).message
    }
  }
  return undefined
}

const LOG_TAIL_BYTES = 256 * 1024

/**
 * The status of the last exit of `name`, from supervisord's main log ("exited: NAME (exit status
 * 1; …)", "stopped: NAME (terminated by SIGTERM)"): XML-RPC forgets it at the next spawn, and
 * reports a signal as -1. A signal becomes 128 + its number, as in the native engine; null when
 * the log does not say.
 */
export function exitStatusFromLog(logfile: string, name: string): number | null {
  let text: string
  try {
    const fd = openSync(logfile, 'r')
    try {
      const size = fstatSync(fd).size
      const length = Math.min(size, LOG_TAIL_BYTES)
      const buffer = Buffer.alloc(length)
      readSync(fd, buffer, 0, length, size - length)
      text = buffer.toString('utf8')
    } finally {
      closeSync(fd)
    }
  } catch {
    return null
  }
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`(?:exited|stopped): ${escaped} \\((?:exit status (\\d+)|terminated by (SIG[A-Z0-9]+))`, 'g')
  let last: RegExpMatchArray | undefined
  for (const match of text.matchAll(pattern)) last = match
  if (last === undefined) return null
  if (last[1] !== undefined) return Number(last[1])
  const number = constants.signals[last[2] as NodeJS.Signals] as number | undefined
  return number === undefined ? null : 128 + number
}
