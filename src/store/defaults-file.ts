// programs.default.json: a JSON array of add bodies, checked with the same schema as the API.
import { readFile } from 'node:fs/promises'
import type { DefaultsSource } from '../core/contracts.js'
import { ProgramAddBody } from '../schema/program.js'
import { checker, fieldOf } from '../schema/check.js'
import { ConfigFileError } from './config-file-error.js'

const checkAddBody = checker(ProgramAddBody)

export class DefaultsFile implements DefaultsSource {
  readonly path: string

  constructor(path: string) {
    this.path = path
  }

  async load(): Promise<ProgramAddBody[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      throw new ConfigFileError(this.path, `cannot be read (${(error as Error).message})`, error)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new ConfigFileError(this.path, `is not valid JSON (${(error as Error).message})`, error)
    }
    if (!Array.isArray(parsed)) throw new ConfigFileError(this.path, 'must be a JSON array of programs (the body of POST /programs/add, each)')
    return parsed.map((entry: unknown, index) => {
      if (checkAddBody.check(entry)) return entry
      const problems = checkAddBody.errors(entry).slice(0, 3).map((e) => {
        const field = fieldOf(e)
        return `${field === '(body)' ? '(entry)' : field}: ${e.message ?? 'is invalid'}`
      })
      throw new ConfigFileError(this.path, `entry [${index}] is invalid: ${problems.join('; ')}`)
    })
  }
}
