import Type, { type Static } from 'typebox'
import { Port } from './control.js'

export const LogsQuery = Type.Object({
  lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 100 })),
  port: Type.Optional(Port),
}, { additionalProperties: false })

export const LogStreamQuery = Type.Object({
  stream: Type.Optional(Type.Enum(['stdout', 'stderr', 'both'], { default: 'both' })),
  lines: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000, default: 10, description: 'Lines of backlog sent before live output.' })),
  port: Type.Optional(Port),
}, { additionalProperties: false })

export const LogsBody = Type.Object({
  stdout: Type.String(),
  stderr: Type.String(),
})

export type LogsQuery = Static<typeof LogsQuery>
export type LogStreamQuery = Static<typeof LogStreamQuery>
export type LogsBody = Static<typeof LogsBody>
