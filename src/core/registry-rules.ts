// What the program registry accepts beyond a body's own schema: unique ids and names, default
// log names no two programs share, and log paths that stay out of the daemon's own files.
import { resolve } from 'node:path'
import { ProgramAlreadyExistsError, ValidationError } from '../errors.js'
import type { Program } from '../schema/program.js'
import { hasPortRange, instancePorts } from './ports.js'

/** The daemon's data dir and its logs folder, both resolved. */
export interface ReservedDirs {
  readonly dataDir: string
  readonly logDir: string
}

/** The registered programs, as far as these rules read them. */
export interface Registry {
  has(id: string): boolean
  values(): Iterable<Program>
}

/**
 * Throw unless `program` may join `registry`: ids and names (case-insensitively) unique, no
 * quick-start prefix, no shared default log names, no log path inside the data dir but out of
 * its logs folder. `editing` is the id being edited, if any.
 */
export function checkFitsRegistry(program: Program, registry: Registry, reserved: ReservedDirs | undefined, editing?: string): void {
  if (editing === undefined && registry.has(program.id)) throw new ProgramAlreadyExistsError('id', program.id)
  // Quick-starts write <logs>/eph-….log: a program of that id would share (and lose) them.
  if (program.id.startsWith('eph-')) throw ValidationError.field('id', 'must not start with "eph-": that prefix names quick-starts')
  const name = program.name.toLowerCase()
  for (const other of registry.values()) {
    if (other.id === editing) continue
    if (other.name.toLowerCase() === name) throw new ProgramAlreadyExistsError('name', program.name)
    // The default logs of instance <port> of a port-range program are <id>-<port>.*.log.
    if (instanceNameClash(program, other) || instanceNameClash(other, program)) {
      throw ValidationError.field('id', `'${program.id}' and '${other.id}' would write the same default log files (<id>-<port>.stdout.log)`)
    }
  }
  if (reserved === undefined) return
  for (const field of ['stdout_logfile', 'stderr_logfile'] as const) {
    const path = program[field]
    if (path !== '' && isInside(path, reserved.dataDir) && !isInside(path, reserved.logDir)) {
      throw ValidationError.field(field, `must not be inside the daemon's data dir (${reserved.dataDir}), except its logs/ folder`)
    }
  }
}

/** Does an instance of `ranged` (a port-range program) have the default log name of `single`? */
function instanceNameClash(ranged: Program, single: Program): boolean {
  if (!hasPortRange(ranged.port_range) || !single.id.startsWith(`${ranged.id}-`)) return false
  const port = single.id.slice(ranged.id.length + 1)
  return /^\d+$/.test(port) && instancePorts(ranged.port_range).includes(Number(port))
}

function isInside(path: string, dir: string): boolean {
  const full = resolve(path)
  return full === dir || full.startsWith(`${dir}/`)
}
