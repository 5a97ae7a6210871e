// From a program instance to its supervisord section: the command runs under /usr/bin/env, which
// sets the directory and the environment (values supervisord's own `environment=` could not carry
// safely: its parser has no escapes) and then execs the program, so the pid is the program's own.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Program } from '../../schema/program.js'
import { MARKER_VARIABLE, markerOf } from '../../system/process-marker.js'
import { parseCommand, withPort } from '../command-line.js'
import type { LogPaths } from '../engine.js'
import { findUserSync, isDaemonUser } from '../users.js'
import { unsupportedCommand, unsupportedLogPath, type SectionSpec } from './config-writer.js'
import type { AttemptInputs } from './spawn-reason.js'

export const ENV_BINARY = '/usr/bin/env'

/** The daemon's umask, read from /proc (process.umask() without an argument is deprecated). */
function daemonUmask(): number {
  try {
    const line = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return line?.[1] === undefined ? 0o022 : parseInt(line[1], 8)
  } catch {
    return 0o022
  }
}

/** The supervisord name of an instance: the id, or id@port (`@` is never in an id). */
export function sectionName(id: string, port: number): string {
  return port === 0 ? id : `${id}@${port}`
}

export interface InstancePlan {
  /** null when the instance cannot be given to supervisord; `problem` says why. */
  readonly section: SectionSpec | null
  readonly problem: string | null
  /** What the failure checks need (see spawn-reason.ts). */
  readonly attempt: AttemptInputs
}

function logDirProblem(path: string): string | undefined {
  // The folder as supervisord (Python's dirname) takes it: of '/a/b/' that is '/a/b', where
  // Node's dirname says '/a'. A path ending in '/' names no file: open(2) refuses it too.
  const namesFolder = path.endsWith('/')
  const dir = namesFolder ? path.replace(/\/+$/, '') || '/' : dirname(path)
  try {
    if (!statSync(dir).isDirectory()) return `cannot open log file: ENOTDIR: not a directory, open '${path}'`
    return namesFolder ? `cannot open log file: EISDIR: illegal operation on a directory, open '${path}'` : undefined
  } catch {
    return `cannot open log file: ENOENT: no such file or directory, open '${path}'`
  }
}

export function planInstance(program: Program, port: number, options: { scope: string; logs: LogPaths }): InstancePlan {
  const sub = (text: string) => (port === 0 ? text : withPort(text, port))
  const parsed = parseCommand(sub(program.command))
  const user = isDaemonUser(program.user) ? undefined : findUserSync(program.user)
  const environment: Record<string, string> = {}
  if (user !== undefined) Object.assign(environment, { HOME: user.home, USER: user.name, LOGNAME: user.name })
  for (const [key, value] of Object.entries(program.environment)) environment[key] = sub(value)
  environment[MARKER_VARIABLE] = markerOf(options.scope, program.id, port)
  let directory = sub(program.directory)
  if (directory === '') directory = user !== undefined && existsSync(user.home) ? user.home : user !== undefined ? '/' : process.cwd()
  // env would read a first word with `=` as one more variable: such a file goes through sh.
  const [file, args] = parsed.file.includes('=') ? ['/bin/sh', ['-c', 'exec "$0" "$@"', parsed.file, ...parsed.args]] : [parsed.file, parsed.args]
  const argv = [ENV_BINARY, '-C', directory, '--', ...Object.entries(environment).map(([key, value]) => `${key}=${value}`), file, ...args]
  const attempt: AttemptInputs = { user: program.user, directory, file: parsed.file, path: environment.PATH ?? process.env.PATH, port }
  const { logs } = options
  const problem = (program.user !== '' && user === undefined && !isDaemonUser(program.user) ? `user '${program.user}' does not exist on this system` : undefined)
    ?? unsupportedCommand(argv)
    ?? unsupportedLogPath(logs.stdout) ?? (logs.stderr === null ? undefined : unsupportedLogPath(logs.stderr))
    // supervisord refuses a whole configuration that names a log file in a missing directory.
    ?? logDirProblem(logs.stdout) ?? (logs.stderr === null ? undefined : logDirProblem(logs.stderr))
  if (problem !== undefined) return { section: null, problem, attempt }
  return {
    problem: null,
    attempt,
    section: {
      name: sectionName(program.id, port),
      argv,
      user: user === undefined ? '' : program.user,
      // The daemon applies autorestart itself (the native rules and crash-loop backoff).
      autorestart: 'false',
      exitcodes: program.exitcodes,
      startsecs: program.startsecs,
      startretries: program.startretries,
      stopsignal: program.stopsignal,
      stopwaitsecs: program.stopwaitsecs,
      umask: daemonUmask(),
      stdout: { path: logs.stdout, maxBytes: program.stdout_logfile_maxbytes, backups: program.stdout_logfile_backups },
      stderr: logs.stderr === null ? null : { path: logs.stderr, maxBytes: program.stderr_logfile_maxbytes, backups: program.stderr_logfile_backups },
    },
  }
}
