// programs.json: the registered programs, read once at start and replaced atomically on change.
import Value from 'typebox/value'
import type { ProgramRepository } from '../core/contracts.js'
import { Program, PROGRAM_DEFAULTS } from '../schema/program.js'
import { ConfigFileError } from './config-file-error.js'
import { JsonFile } from './json-file.js'

export const PROGRAMS_FILE_VERSION = 1

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

  save(programs: readonly Program[]): Promise<void> {
    return this.file.write({ version: PROGRAMS_FILE_VERSION, programs })
  }
}

function parsePrograms(path: string, parsed: unknown): Program[] {
  if (typeof parsed !== 'object' || parsed === null || !('programs' in parsed) || !Array.isArray(parsed.programs)) {
    throw new ConfigFileError(path, 'is not a programs file: expected { "version": 1, "programs": [...] }')
  }
  const programs: unknown[] = parsed.programs
  const ids = new Set<string>()
  return programs.map((stored, index) => {
    // Fields added in later versions take their defaults.
    const candidate: unknown = typeof stored === 'object' && stored !== null ? { ...PROGRAM_DEFAULTS, ...stored } : stored
    if (!Value.Check(Program, candidate)) {
      const [first] = Value.Errors(Program, candidate)
      const where = first === undefined ? '' : ` at ${first.instancePath === '' ? '(root)' : first.instancePath}: ${first.message}`
      throw new ConfigFileError(path, `program #${index} is invalid${where}`)
    }
    if (ids.has(candidate.id)) throw new ConfigFileError(path, `program id '${candidate.id}' appears twice`)
    ids.add(candidate.id)
    return candidate
  })
}
