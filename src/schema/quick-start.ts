import Type, { type Static } from 'typebox'
import { Nullable } from './nullable.js'
import { COMMAND_LINE } from './program.js'
import { ProcessStateSchema } from './status.js'

export const EPHEMERAL_ID_PATTERN = '^eph-[0-9a-f]{12}$'

export const QuickStartBody = Type.Object({
  command: Type.String({ minLength: 1, maxLength: 16384, pattern: COMMAND_LINE }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f]*$' })),
  user: Type.Optional(Type.String({ maxLength: 32, pattern: '^([A-Za-z0-9_][A-Za-z0-9_.-]*\\$?)?$' })),
  directory: Type.Optional(Type.String({ maxLength: 4096, pattern: '^(/[^\\u0000]*)?$' })),
  environment: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,255}$' }), Type.String({ maxLength: 65536, pattern: '^[^\\u0000]*$' }), { additionalProperties: false })),
  timeout_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 604800, description: 'Stop it (stopsignal TERM, then KILL after 10 s) if it runs longer than this.' })),
}, { additionalProperties: false })

export const QuickStartStatus = Type.Object({
  temporary_id: Type.String(),
  name: Type.String(),
  command: Type.String(),
  status: ProcessStateSchema,
  pid: Nullable(Type.Integer()),
  uptime: Type.Integer(),
  exit_status: Nullable(Type.Integer()),
  started_at: Type.String({ format: 'date-time' }),
  timed_out: Type.Boolean({ description: 'True when timeout_seconds stopped it.' }),
  spawn_error: Type.Optional(Type.String()),
})

/** What ephemeral.json keeps of a quick-start, enough to clean it up after a crash. */
export const EphemeralRecord = Type.Object({
  temporary_id: Type.String({ pattern: EPHEMERAL_ID_PATTERN }),
  name: Type.String(),
  command: Type.String(),
  user: Type.String(),
  directory: Type.String(),
  environment: Type.Record(Type.String(), Type.String()),
  timeout_seconds: Type.Union([Type.Number(), Type.Null()]),
  started_at: Type.String(),
  pid: Type.Union([Type.Integer(), Type.Null()]),
  /** Field 22 of /proc/<pid>/stat: tells a recycled pid from ours. */
  proc_start: Type.Union([Type.String(), Type.Null()]),
  stdout_logfile: Type.String(),
  stderr_logfile: Type.String(),
}, { additionalProperties: false })

export const WaitQuickStartQuery = Type.Object({
  timeout: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, default: 300, description: 'Seconds to wait at most; the answer says finished: false when it is still running.' })),
}, { additionalProperties: false })

export type QuickStartBody = Static<typeof QuickStartBody>
export type QuickStartStatus = Static<typeof QuickStartStatus>
export type EphemeralRecord = Static<typeof EphemeralRecord>
