// What the core needs from the outside world, implemented elsewhere and wired in by server.ts.
import type { Program, ProgramAddBody } from '../schema/program.js'
import type { StoredProcess } from '../schema/process-record.js'
import type { EphemeralRecord } from '../schema/quick-start.js'

export interface ProgramRepository {
  /**
   * Persist the whole list atomically; resolves once a write containing this state is on disk.
   * `current` is called for the writes that happen, not for every save of a burst.
   */
  save(current: () => readonly Program[]): Promise<void>
}

export interface EphemeralRepository {
  load(): Promise<EphemeralRecord[]>
  save(records: readonly EphemeralRecord[]): Promise<void>
}

export interface DefaultsSource {
  /** Where the defaults come from, for messages. */
  readonly path: string
  /** Read and schema-check the defaults file again (it may have changed since start). */
  load(): Promise<ProgramAddBody[]>
}

export interface ProcessRecordRepository {
  /** The previous run's live processes (empty when there is no record). */
  load(): Promise<StoredProcess[]>
  /** Replace the record with what `current` returns at write time; resolves once on disk. */
  save(current: () => readonly StoredProcess[]): Promise<void>
}
