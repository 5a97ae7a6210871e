// The answers of every action route, one schema each: the routes validate/serialise with them,
// OpenAPI documents them, and the SDK's return types come from them.
import Type, { type Static } from 'typebox'
import { ActionBody } from './envelope.js'
import { Nullable } from './nullable.js'
import { Program } from './program.js'
import { ProcessStateSchema } from './status.js'
import { QuickStartStatus } from './quick-start.js'

const Pid = Nullable(Type.Integer())

export const StartedInstance = Type.Object({ port: Type.Integer(), status: ProcessStateSchema, pid: Pid })

export const ProgramAnswer = ActionBody({ program: Program })
export const RemoveAnswer = ActionBody({ was_running: Type.Boolean() })
export const ResetAnswer = ActionBody({ actions_performed: Type.Array(Type.String()), programs_count: Type.Integer() })
export const PlainAnswer = ActionBody({})
export const DisableAnswer = ActionBody({ was_running: Type.Boolean(), actions: Type.Array(Type.String()) })
export const StartAnswer = ActionBody({
  status: ProcessStateSchema,
  pid: Pid,
  port: Type.Optional(Type.Integer()),
  instances: Type.Optional(Type.Array(StartedInstance)),
})
export const StopAnswer = ActionBody({ stopped_ports: Type.Optional(Type.Array(Type.Integer())) })
export const QuickStartStarted = ActionBody({ temporary_id: Type.String(), status: ProcessStateSchema, pid: Pid })
export const QuickStartStopped = ActionBody({ actions_performed: Type.Array(Type.String()) })
export const QuickStartWaited = Type.Intersect([QuickStartStatus, Type.Object({ finished: Type.Boolean() })])

export type ProgramAnswer = Static<typeof ProgramAnswer>
export type RemoveAnswer = Static<typeof RemoveAnswer>
export type ResetAnswer = Static<typeof ResetAnswer>
export type PlainAnswer = Static<typeof PlainAnswer>
export type DisableAnswer = Static<typeof DisableAnswer>
export type StartAnswer = Static<typeof StartAnswer>
export type StopAnswer = Static<typeof StopAnswer>
export type QuickStartStarted = Static<typeof QuickStartStarted>
export type QuickStartStopped = Static<typeof QuickStartStopped>
export type QuickStartWaited = Static<typeof QuickStartWaited>
