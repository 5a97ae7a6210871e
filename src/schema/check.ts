// The one JSON Schema engine at run time. Request bodies and files read from disk are checked
// as they are (a "5" is not a number); params and query strings, always text on the wire, are
// coerced to the schema's types. TypeBox only builds the schemas: its own checker would load a
// second engine into every daemon (about 4 MiB of resident code) for the few files read at start.
import { Ajv, type ErrorObject, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { Static, TSchema } from 'typebox'

// ajv-formats is CommonJS with a default export object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

const common: Options = { allErrors: true, removeAdditional: false, useDefaults: false, strict: false, unicodeRegExp: true }
export const asSentAjv = addFormats(new Ajv({ ...common, coerceTypes: false }))
export const textAjv = addFormats(new Ajv({ ...common, coerceTypes: true, useDefaults: true }))

export type SchemaError = ErrorObject

export interface Checker<T> {
  check(value: unknown): value is T
  /** Every problem of a value that fails `check` (empty when it passes). */
  errors(value: unknown): SchemaError[]
}

/** A compiled check of values against a schema, without coercion or defaults. */
export function checker<S extends TSchema>(schema: S): Checker<Static<S>> {
  const validate = asSentAjv.compile<Static<S>>(schema)
  return {
    check: (value): value is Static<S> => validate(value),
    errors: (value) => (validate(value) ? [] : [...(validate.errors ?? [])]),
  }
}

/** The dotted path of the field an error is about ('(body)' for the value itself). */
export function fieldOf(error: SchemaError): string {
  const path = error.instancePath.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
  if (error.keyword === 'additionalProperties') path.push((error.params as { additionalProperty: string }).additionalProperty)
  if (error.keyword === 'required') path.push((error.params as { missingProperty: string }).missingProperty)
  return path.join('.') === '' ? '(body)' : path.join('.')
}
