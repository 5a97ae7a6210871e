// processes.json: which processes this run started (pid + start time + output FIFOs), replaced
// atomically whenever one appears or goes away, read by the next run after a crash.
import type { ProcessRecordRepository } from '../core/contracts.js'
import { checker } from '../schema/check.js'
import { StoredProcess } from '../schema/process-record.js'
import { ConfigFileError } from './config-file-error.js'
import { JsonFile } from './json-file.js'

const checkRecord = checker(StoredProcess)

export class ProcessRecordStore implements ProcessRecordRepository {
  private readonly file: JsonFile

  constructor(path: string) {
    // Rewritten at every spawn and exit, and read only by the next daemon.
    this.file = new JsonFile(path, { compact: true })
  }

  async load(): Promise<StoredProcess[]> {
    const parsed = await this.file.read()
    if (parsed === null) return []
    if (!Array.isArray(parsed)) throw new ConfigFileError(this.file.path, 'expected a JSON array of process records')
    const records: unknown[] = parsed
    return records.map((record, index) => {
      if (!checkRecord.check(record)) throw new ConfigFileError(this.file.path, `entry #${index} is invalid`)
      return record
    })
  }

  /** The current records, taken when the write happens (a burst of changes is one write). */
  save(current: () => readonly StoredProcess[]): Promise<void> {
    return this.file.writeLatest(current)
  }
}
