import Type, { type Static } from 'typebox'
import { Nullable } from './nullable.js'

export const PROCESS_STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'UNKNOWN'] as const
export const ProcessStateSchema = Type.Enum(PROCESS_STATES)

const NullableInteger = Nullable(Type.Integer())

export const InstanceStatus = Type.Object({
  port: Type.Integer(),
  status: ProcessStateSchema,
  pid: NullableInteger,
  uptime: Type.Integer({ description: 'Whole seconds since the process was spawned; 0 when not running.' }),
  exit_status: NullableInteger,
  spawn_error: Type.Optional(Type.String()),
})

export const ProgramStatus = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: ProcessStateSchema,
  pid: NullableInteger,
  uptime: Type.Integer(),
  exit_status: Nullable(Type.Integer(), { description: 'Last exit code; 128 + signal when killed by a signal; null before the first exit.' }),
  spawn_error: Type.Optional(Type.String({ description: 'Why the last start failed, when it did.' })),
  instances: Type.Optional(Type.Array(InstanceStatus, { description: 'Port-range programs only: one entry per port.' })),
})

export const ProgramStatusList = Type.Array(ProgramStatus)

export type ProcessState = (typeof PROCESS_STATES)[number]
export type InstanceStatus = Static<typeof InstanceStatus>
export type ProgramStatus = Static<typeof ProgramStatus>
