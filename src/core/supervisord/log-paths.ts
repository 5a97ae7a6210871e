// Where an instance's output goes: the same paths as the native engine's, so switching engines
// keeps every log where it was.
import { join } from 'node:path'
import type { Program } from '../../schema/program.js'
import { withPort } from '../command-line.js'
import type { LogPaths } from '../engine.js'

export function defaultLogPaths(logDir: string, program: Program, port: number): LogPaths {
  const base = port === 0 ? program.id : `${program.id}-${port}`
  const configured = (path: string) => (port === 0 ? path : withPort(path, port))
  const stdout = program.stdout_logfile === '' ? join(logDir, `${base}.stdout.log`) : configured(program.stdout_logfile)
  if (program.redirect_stderr) return { stdout, stderr: null }
  const stderr = program.stderr_logfile === '' ? join(logDir, `${base}.stderr.log`) : configured(program.stderr_logfile)
  return { stdout, stderr }
}
