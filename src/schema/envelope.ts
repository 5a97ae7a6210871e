// The shapes every answer shares: the error envelope and the action envelope.
import Type, { type TProperties } from 'typebox'

export const ErrorBody = Type.Object({
  success: Type.Literal(false),
  error: Type.String({ description: 'A human sentence saying what went wrong and how to fix it.' }),
  code: Type.String({ description: 'A stable code from docs/errors.md.' }),
  details: Type.Optional(Type.Unknown({ description: 'Validation errors: [{ field, message }].' })),
  spawn_error: Type.Optional(Type.String({ description: 'SPAWN_ERROR only: why the process could not be brought to RUNNING, as GET /status shows it.' })),
})

/** `{ success: true, message, ...extra }`, the answer of every POST. */
export function ActionBody<T extends TProperties>(extra: T) {
  return Type.Object({ success: Type.Literal(true), message: Type.String(), ...extra })
}

export const IdParams = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
})
