// Request validation with the schema layer's Ajv instances, and Ajv's errors in the contract's shape.
import type { FastifySchemaCompiler } from 'fastify'
import type { FieldProblem } from '../errors.js'
import { asSentAjv, fieldOf, textAjv, type SchemaError as ErrorObject } from '../schema/check.js'
import { READ_ONLY_FIELDS } from '../schema/program.js'

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? asSentAjv : textAjv).compile(schema as object)

const readOnly = new Set<string>(READ_ONLY_FIELDS)

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
