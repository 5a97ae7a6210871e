// ephemeral.json: the quick-starts of this run, so the next start can clean up after a crash.
import type { EphemeralRepository } from '../core/contracts.js'
import { EphemeralRecord } from '../schema/quick-start.js'
import { checker } from '../schema/check.js'
import { ConfigFileError } from './config-file-error.js'
import { JsonFile } from './json-file.js'

const checkRecord = checker(EphemeralRecord)

export class EphemeralStore implements EphemeralRepository {
  private readonly file: JsonFile

  constructor(path: string) {
    this.file = new JsonFile(path)
  }

  async load(): Promise<EphemeralRecord[]> {
    const parsed = await this.file.read()
    if (parsed === null) return []
    if (!Array.isArray(parsed)) throw new ConfigFileError(this.file.path, 'expected a JSON array of quick-start records')
    const records: unknown[] = parsed
    return records.map((record, index) => {
      if (!checkRecord.check(record)) throw new ConfigFileError(this.file.path, `entry #${index} is invalid`)
      return record
    })
  }

  save(records: readonly EphemeralRecord[]): Promise<void> {
    return this.file.write(records)
  }
}
