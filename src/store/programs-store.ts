// programs.json: the registered programs, read once at start and replaced atomically on change.
import type { ProgramRepository } from '../core/contracts.js'
import { Program, PROGRAM_DEFAULTS } from '../schema/program.js'
import { checker } from '../schema/check.js'
import { ConfigFileError } from './config-file-error.js'
import { JsonFile } from './json-file.js'

const checkProgram = checker(Program)

export class ProgramsStore implements ProgramRepository {
  private readonly file: JsonFile

  constructor(path: string) {
    this.file = new JsonFile(path)
  }

  get path(): string {
    return this.file.path
  }

  /** The stored programs, or null when the file does not exist yet (a first start). */
  async load(): Promise<Program[] | null> {
    const parsed = await this.file.read()
    return parsed === null ? null : parsePrograms(this.path, parsed)
  }

  /** A bare JSON array of programs, like GET /programs answers. */
  save(current: () => readonly Program[]): Promise<void> {
    return this.file.writeLatest(current)
  }
}

function parsePrograms(path: string, parsed: unknown): Program[] {
  // A bare array; the { version, programs } wrapper of early builds is read too.
  const wrapped = typeof parsed === 'object' && parsed !== null && 'programs' in parsed ? parsed.programs : undefined
  const programs: unknown = Array.isArray(parsed) ? parsed : wrapped
  if (!Array.isArray(programs)) throw new ConfigFileError(path, 'is not a programs file: expected a JSON array of programs')
  const ids = new Set<string>()
  return programs.map((stored: unknown, index) => {
    // Fields added in later versions take their defaults.
    const candidate: unknown = typeof stored === 'object' && stored !== null ? { ...PROGRAM_DEFAULTS, ...stored } : stored
    if (!checkProgram.check(candidate)) {
      const [first] = checkProgram.errors(candidate)
      const where = first === undefined ? '' : ` at ${first.instancePath === '' ? '(root)' : first.instancePath}: ${first.message}`
      throw new ConfigFileError(path, `program #${index} is invalid${where}`)
    }
    if (ids.has(candidate.id)) throw new ConfigFileError(path, `program id '${candidate.id}' appears twice`)
    ids.add(candidate.id)
    return candidate
  })
}
