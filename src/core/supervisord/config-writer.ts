// A program instance → one `[program:NAME]` section (config-sync.ts writes them all into one file).
// supervisord reads it with Python's configparser (inline `;`/`#` comments after whitespace,
// continuation lines, universal newlines), expands `%(...)s`, then splits `command` with shlex.
// Every value here survives all three, or is refused with a reason.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import type { Autorestart, StopSignal } from '../../schema/program.js'

export interface LogSpec {
  readonly path: string
  readonly maxBytes: number
  readonly backups: number
}

export interface SectionSpec {
  /** The supervisord program (and group) name. */
  readonly name: string
  /** The full argv supervisord executes (a wrapper that sets the environment and directory). */
  readonly argv: readonly string[]
  /** '' = supervisord's own user (the daemon's). */
  readonly user: string
  readonly autorestart: Autorestart
  readonly exitcodes: readonly number[]
  readonly startsecs: number
  readonly startretries: number
  readonly stopsignal: StopSignal
  readonly stopwaitsecs: number
  readonly stdout: LogSpec
  /** null when stderr goes into the stdout log. */
  readonly stderr: LogSpec | null
  /** The program's umask (the daemon's, as with the native engine), e.g. 0o022. */
  readonly umask: number
}

/** Characters shlex keeps as they are, outside quotes, and configparser never reads as syntax. */
const PLAIN = /^[A-Za-z0-9_./=:,@+-]$/

/**
 * One argv word for supervisord's `command`: plain characters as they are, `%` doubled (for
 * supervisord's expansion), `'` backslash-escaped, every other character single-quoted, so no
 * `;` or `#` ever follows whitespace (configparser would cut a comment there). A newline is
 * carried by a continuation line: configparser strips the indentation, and the quote that opens
 * the next line keeps what follows.
 */
export function commandWord(word: string): string {
  if (word === '') return "''"
  let out = ''
  for (const ch of word) {
    if (PLAIN.test(ch)) out += ch
    else if (ch === '%') out += '%%'
    else if (ch === "'") out += "\\'"
    else if (ch === '\n') out += "'\n  '"
    else out += `'${ch}'`
  }
  return out
}

/** Why a value cannot go into supervisord's configuration, or undefined when it can. */
export function unsupportedCommand(argv: readonly string[]): string | undefined {
  // Python reads the file with universal newlines: a carriage return would become a newline.
  if (argv.some((word) => word.includes('\r'))) return 'the command or its environment holds a carriage return, which a supervisord configuration cannot carry'
  return undefined
}

/** A log path as a plain configparser value: no line breaks, no comment start, no edge spaces. */
export function unsupportedLogPath(path: string): string | undefined {
  if (/[\r\n]/.test(path) || /\s[;#]/.test(path) || path !== path.trim()) {
    return `log file '${path}' cannot be written into a supervisord configuration (line break, whitespace before ';' or '#', or spaces at an end)`
  }
  return undefined
}

const iniPath = (path: string) => path.replaceAll('%', '%%')

function logLines(stream: 'stdout' | 'stderr', log: LogSpec): string[] {
  return [
    `${stream}_logfile=${iniPath(log.path)}`,
    `${stream}_logfile_maxbytes=${log.maxBytes}`,
    `${stream}_logfile_backups=${log.backups}`,
  ]
}

/** The section's text. Fractional seconds round up: supervisord takes whole seconds. */
export function renderSection(spec: SectionSpec): string {
  const lines = [
    `; written by hoody-daemon; edits are overwritten`,
    `[program:${spec.name}]`,
    `command=${spec.argv.map(commandWord).join(' ')}`,
    'autostart=false',
    `autorestart=${spec.autorestart}`,
    `exitcodes=${spec.exitcodes.join(',')}`,
    `startsecs=${Math.ceil(spec.startsecs)}`,
    `startretries=${spec.startretries}`,
    `stopsignal=${spec.stopsignal}`,
    `stopwaitsecs=${Math.ceil(spec.stopwaitsecs)}`,
    `umask=${spec.umask.toString(8).padStart(3, '0')}`,
    'stopasgroup=true',
    'killasgroup=true',
    ...(spec.user === '' ? [] : [`user=${spec.user}`]),
    `redirect_stderr=${spec.stderr === null ? 'true' : 'false'}`,
    ...logLines('stdout', spec.stdout),
    ...(spec.stderr === null ? [] : logLines('stderr', spec.stderr)),
  ]
  return `${lines.join('\n')}\n`
}

/** Write `text` to `path` atomically: a temp file in the same dir, fsync, rename. */
export function writeAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`
  const fd = openSync(temp, 'w', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(temp, path)
  } catch (error) {
    try { unlinkSync(temp) } catch { /* already gone */ }
    throw error
  }
}
