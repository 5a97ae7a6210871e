// programs.json: the registered programs, read once at start and replaced atomically on change.
import { readFile } from 'node:fs/promises'
import Value from 'typebox/value'
import type { ProgramRepository } from '../core/contracts.js'
import { Program, PROGRAM_DEFAULTS } from '../schema/program.js'
import { writeFileAtomic, removeStaleTemps } from './atomic-write.js'
import { CoalescingWriter } from './coalescing-writer.js'
import { ConfigFileError } from './config-file-error.js'

export const PROGRAMS_FILE_VERSION = 1

export class ProgramsStore implements ProgramRepository {
  readonly path: string
  private readonly writer: CoalescingWriter

  constructor(path: string) {
    this.path = path
    this.writer = new CoalescingWriter((data) => writeFileAtomic(path, data, 0o600))
  }

  /** The stored programs, or null when the file does not exist yet (a first start). */
  async load(): Promise<Program[] | null> {
    await removeStaleTemps(this.path)
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new ConfigFileError(this.path, `cannot be read (${(error as Error).message})`, error)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new ConfigFileError(this.path, `is not valid JSON (${(error as Error).message}); fix or move it away, it was left untouched`, error)
    }
    return parsePrograms(this.path, parsed)
  }

  save(programs: readonly Program[]): Promise<void> {
    return this.writer.save(`${JSON.stringify({ version: PROGRAMS_FILE_VERSION, programs }, null, 2)}\n`)
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
