import Type, { type Static } from 'typebox'

const Port = Type.Integer({ minimum: 1, maximum: 65535 })

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
