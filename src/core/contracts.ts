// What the core needs from the outside world, implemented elsewhere and wired in by server.ts.
import type { Program } from '../schema/program.js'

export interface ProgramRepository {
  /** Persist the whole list atomically; resolves once it is on disk. */
  save(programs: readonly Program[]): Promise<void>
}
