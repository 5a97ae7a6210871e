// Two Ajv instances: bodies are checked as sent (a "5" is not a number), while params and query
// strings, which are always text on the wire, are coerced to the schema's types.
import { Ajv, type ErrorObject, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import type { FieldProblem } from '../errors.js'
import { READ_ONLY_FIELDS } from '../schema/program.js'

// ajv-formats is CommonJS with a default export object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

const common: Options = { allErrors: true, removeAdditional: false, useDefaults: false, strict: false, unicodeRegExp: true }
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }))
const textAjv = addFormats(new Ajv({ ...common, coerceTypes: true, useDefaults: true }))

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object)

const readOnly = new Set<string>(READ_ONLY_FIELDS)

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
  if (error.keyword === 'additionalProperties') path.push((error.params as { additionalProperty: string }).additionalProperty)
  if (error.keyword === 'required') path.push((error.params as { missingProperty: string }).missingProperty)
  return path.join('.') === '' ? '(body)' : path.join('.')
}

function messageOf(error: ErrorObject, field: string): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return readOnly.has(field) ? 'is read-only' : 'is not a known field'
    case 'required':
      return 'is required'
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`
    case 'pattern':
      return `has an invalid format (must match ${(error.params as { pattern: string }).pattern})`
    default:
      return error.message ?? 'is invalid'
  }
}

/** Ajv's errors as one problem per field, without the noise of union branches. */
export function toFieldProblems(errors: readonly ErrorObject[]): FieldProblem[] {
  const problems = new Map<string, FieldProblem>()
  for (const error of errors) {
    const field = fieldOf(error)
    // For a union (anyOf), the per-branch errors repeat one field; the first says enough.
    if (problems.has(field)) continue
    problems.set(field, { field, message: messageOf(error, field) })
  }
  return [...problems.values()]
}
