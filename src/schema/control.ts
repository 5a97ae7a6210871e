import Type, { type Static } from 'typebox'

// Any integer: one that is not a port of the program's range is INVALID_PORT (api-v1), which
// the service decides; a schema bound would make 0 or 70000 a VALIDATION_ERROR instead.
export const Port = Type.Integer({ description: 'A port of the program\'s port_range: that instance only.' })

export const StartBody = Type.Object({
  port: Type.Optional(Port),
}, { additionalProperties: false })

export const StopBody = Type.Object({
  port: Type.Optional(Port),
  all: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })

export const WaitQuery = Type.Object({
  wait: Type.Optional(Type.Boolean({ default: true, description: 'false: answer at once (STARTING) instead of waiting for RUNNING.' })),
}, { additionalProperties: false })

export type StartBody = Static<typeof StartBody>
export type StopBody = Static<typeof StopBody>
