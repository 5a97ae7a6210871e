import Type, { type Static } from 'typebox'

export const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
  service: Type.Literal('hoody-daemon'),
  version: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  uptime: Type.Integer({ description: 'Seconds since the daemon started.' }),
  checks: Type.Object({
    supervisor: Type.String({ description: '"running", or what is wrong with the supervision engine.' }),
    config: Type.String({ description: '"valid", or what is wrong with programs.json.' }),
  }),
})

export type HealthBody = Static<typeof HealthBody>
