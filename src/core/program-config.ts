// From an add body to a complete program (every default filled), and edits on top of it.
import { ValidationError } from '../errors.js'
import { ID_PATTERN, PROGRAM_DEFAULTS, type Autorestart, type Program, type ProgramAddBody, type ProgramEditBody } from '../schema/program.js'
import { parseCommand } from './command-line.js'
import { validatePortRange } from './ports.js'


export { PROGRAM_DEFAULTS }

const idPattern = new RegExp(ID_PATTERN)

/** `"Web Server"` → `web-server`: lower-cased, every run outside [a-z0-9._-] turned into `-`. */
export function deriveId(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')
}

export function normalizeAutorestart(value: boolean | Autorestart): Autorestart {
  if (value === true) return 'true'
  if (value === false) return 'false'
  return value
}

/** Checks that the schema cannot express; user existence is checked by the service. */
export function checkProgram(program: Program): void {
  validatePortRange(program.port_range)
  parseCommand(program.command)
}

export function newProgram(body: ProgramAddBody, now: Date): Program {
  const id = body.id ?? deriveId(body.name)
  if (!idPattern.test(id)) {
    throw ValidationError.field(body.id === undefined ? 'name' : 'id',
      `cannot make a valid id from '${body.id ?? body.name}'; give an id matching ${ID_PATTERN}`)
  }
  const stamp = now.toISOString()
  const program: Program = {
    id,
    ...PROGRAM_DEFAULTS,
    environment: {},
    exitcodes: [...PROGRAM_DEFAULTS.exitcodes],
    port_range: { ...PROGRAM_DEFAULTS.port_range },
    ...body,
    autorestart: normalizeAutorestart(body.autorestart ?? PROGRAM_DEFAULTS.autorestart),
    hoody_kit: false,
    created_at: stamp,
    updated_at: stamp,
  }
  checkProgram(program)
  return program
}

export function editedProgram(program: Program, patch: ProgramEditBody, now: Date): Program {
  const edited: Program = {
    ...program,
    ...patch,
    autorestart: normalizeAutorestart(patch.autorestart ?? program.autorestart),
    updated_at: now.toISOString(),
  }
  checkProgram(edited)
  return edited
}
