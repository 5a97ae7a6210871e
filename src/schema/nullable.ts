// "A value or null" as one JSON Schema type list ({ type: ['integer', 'null'] }), not an anyOf.
// Both accept the same values. fast-json-stringify writes a type list directly; an anyOf in an
// answer is decided by Ajv on every answer, and compiled when the route first answers: 7–45 ms
// on the first start or add after the daemon starts (bench P1).
import Type, { type Static, type TSchema, type TUnsafe } from 'typebox'

type Typed = TSchema & { readonly type: string }

export function Nullable<T extends Typed>(schema: T, options: Record<string, unknown> = {}): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, ...options, type: [schema.type, 'null'] })
}
