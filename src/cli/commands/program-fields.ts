// The flags that set program fields, shared by `create` and `edit`.
import { readFileSync } from 'node:fs'
import { InvalidArgumentError, Option, type Command } from 'commander'
import type { ProgramEditBody } from '../../schema/program.js'
import { exitCodes, integer, joinCommand, keyValue, oneOf, portRange, seconds } from '../args.js'

const SIGNALS = ['TERM', 'INT', 'QUIT', 'HUP', 'KILL', 'USR1', 'USR2'] as const

export function addFieldOptions(command: Command): Command {
  return command
    .option('--command <line>', 'command line (or give it as the trailing words)')
    .option('--description <text>', 'free text')
    .option('--user <name>', 'run as this system user')
    .option('--directory <path>', 'absolute working directory')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', keyValue)
    .addOption(new Option('--autorestart <when>', 'true, false or unexpected').argParser(oneOf('--autorestart', ['true', 'false', 'unexpected'] as const)))
    .option('--exitcodes <codes>', 'expected exit codes, e.g. 0,2', exitCodes)
    .option('--priority <n>', 'boot order (ascending)', integer('--priority', 0, 999999))
    .option('--delay-seconds <s>', 'boot delay after the previous priority group', seconds('--delay-seconds'))
    .option('--startsecs <s>', 'seconds up before RUNNING', seconds('--startsecs'))
    .option('--startretries <n>', 'failed starts before FATAL', integer('--startretries', 0, 100))
    .addOption(new Option('--stopsignal <sig>', 'signal sent on stop').argParser(oneOf('--stopsignal', SIGNALS)))
    .option('--stopwaitsecs <s>', 'seconds before SIGKILL', seconds('--stopwaitsecs'))
    .option('--stdout-logfile <path>', 'absolute path of the stdout log')
    .option('--stderr-logfile <path>', 'absolute path of the stderr log')
    .option('--redirect-stderr', 'send stderr to the stdout log')
    .option('--port-range <from-to>', 'one instance per port, e.g. 3000-3005', portRange)
    .option('--log-timestamps', 'prefix each log line with the time')
    .option('--boot', 'start when the daemon starts')
    .option('--no-boot', 'do not start when the daemon starts')
    .option('--from-file <json>', 'read fields from a JSON file (flags win)')
}

export interface FieldOptions {
  command?: string
  description?: string
  user?: string
  directory?: string
  env?: Record<string, string>
  autorestart?: 'true' | 'false' | 'unexpected'
  exitcodes?: number[]
  priority?: number
  delaySeconds?: number
  startsecs?: number
  startretries?: number
  stopsignal?: (typeof SIGNALS)[number]
  stopwaitsecs?: number
  stdoutLogfile?: string
  stderrLogfile?: string
  redirectStderr?: boolean
  portRange?: { start: number; end: number }
  logTimestamps?: boolean
  boot?: boolean
  fromFile?: string
}

/** One trailing word is a whole command line; several are argv words, quoted back together. */
export function commandFrom(words: readonly string[], option: string | undefined): string | undefined {
  if (option !== undefined) {
    if (words.length > 0) throw new InvalidArgumentError('give the command either with --command or as trailing words, not both')
    return option
  }
  if (words.length === 0) return undefined
  return words.length === 1 ? words[0] : joinCommand(words)
}

function fromFile(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {}
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object')
    return parsed as Record<string, unknown>
  } catch (error) {
    throw new InvalidArgumentError(`--from-file ${path}: ${(error as Error).message}`)
  }
}

/** The fields the flags set (only those given), over what --from-file holds. */
export function fieldsFrom(options: FieldOptions, words: readonly string[], bootGiven: boolean): ProgramEditBody & Record<string, unknown> {
  const command = commandFrom(words, options.command)
  const set: Record<string, unknown> = {
    command,
    description: options.description,
    user: options.user,
    directory: options.directory,
    environment: options.env,
    autorestart: options.autorestart,
    exitcodes: options.exitcodes,
    priority: options.priority,
    delay_seconds: options.delaySeconds,
    startsecs: options.startsecs,
    startretries: options.startretries,
    stopsignal: options.stopsignal,
    stopwaitsecs: options.stopwaitsecs,
    stdout_logfile: options.stdoutLogfile,
    stderr_logfile: options.stderrLogfile,
    redirect_stderr: options.redirectStderr,
    port_range: options.portRange,
    log_timestamps: options.logTimestamps,
    boot: bootGiven ? options.boot : undefined,
  }
  const given = Object.fromEntries(Object.entries(set).filter(([, value]) => value !== undefined))
  return { ...fromFile(options.fromFile), ...given }
}
