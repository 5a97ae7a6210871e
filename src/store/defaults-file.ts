// programs.default.json: a JSON array of add bodies, checked with the same schema as the API.
import { readFile } from 'node:fs/promises'
import Value from 'typebox/value'
import type { DefaultsSource } from '../core/contracts.js'
import { ProgramAddBody } from '../schema/program.js'
import { ConfigFileError } from './config-file-error.js'

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
      if (Value.Check(ProgramAddBody, entry)) return entry
      const problems = Value.Errors(ProgramAddBody, entry).slice(0, 3).map((e) => {
        const field = [...e.instancePath.split('/').slice(1), ...extraField(e.params)].join('.')
        return `${field === '' ? '(entry)' : field}: ${e.message}`
      })
      throw new ConfigFileError(this.path, `entry [${index}] is invalid: ${problems.join('; ')}`)
    })
  }
}

function extraField(params: unknown): string[] {
  if (typeof params !== 'object' || params === null) return []
  const p = params as { additionalProperties?: unknown; requiredProperties?: unknown }
  if (Array.isArray(p.additionalProperties)) return [p.additionalProperties.join(',')]
  if (Array.isArray(p.requiredProperties)) return [p.requiredProperties.join(',')]
  return []
}
