// The program shape: one schema per shape, feeding validation, TypeScript types and OpenAPI.
import Type, { type Static } from 'typebox'

export const ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$'
export const STOP_SIGNALS = ['TERM', 'INT', 'QUIT', 'HUP', 'KILL', 'USR1', 'USR2'] as const

// NUL and other control characters never reach argv, paths or the environment.
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$'
// "Not blank" is a look-ahead: the form X*\SX* let \S take one NUL or control character, and
// backtracked quadratically on a long string that fails late (100 KB held the daemon for 13 s).
const NOT_BLANK = '(?=[\\s\\S]*\\S)'
/** Some non-blank text, no control character. */
const TEXT_LINE = `^${NOT_BLANK}[^\\u0000-\\u001f\\u007f]*$`
/** Some non-blank text, no NUL (a command line may hold tabs and newlines). */
export const COMMAND_LINE = `^${NOT_BLANK}[^\\u0000]*$`
const ABSOLUTE_PATH_OR_EMPTY = '^(/[^\\u0000]*)?$'

export const ProgramId = Type.String({ pattern: ID_PATTERN, description: 'Program id: lower-case letters, digits, dot, underscore, dash; 1-64 characters.' })

export const PortRange = Type.Object({
  start: Type.Integer({ description: 'First port, or 0 for a single-instance program.' }),
  end: Type.Integer({ description: 'Last port (inclusive), or 0 for a single-instance program.' }),
}, { additionalProperties: false, description: 'One instance per port; {0,0} = one instance.' })

// An enum, not a union of literals: answers carry it, and fast-json-stringify writes an enum as
// a string where a union would be decided by Ajv (see nullable.ts).
export const AutorestartValue = Type.Enum(['true', 'false', 'unexpected'])
export const AutorestartInput = Type.Union([AutorestartValue, Type.Boolean()], {
  description: '"true", "false" or "unexpected"; the booleans true/false are accepted and stored as strings.',
})

const editableFields = {
  name: Type.String({ minLength: 1, maxLength: 128, pattern: TEXT_LINE, description: 'Unique name (compared case-insensitively).' }),
  description: Type.String({ maxLength: 1024, pattern: NO_CONTROL }),
  command: Type.String({ minLength: 1, maxLength: 16384, pattern: COMMAND_LINE, description: 'Command line, split like a POSIX shell; see docs/configuration.md.' }),
  user: Type.String({ maxLength: 32, pattern: '^([A-Za-z0-9_][A-Za-z0-9_.-]*\\$?)?$', description: 'System user to run as; empty = the daemon\'s own user.' }),
  directory: Type.String({ maxLength: 4096, pattern: ABSOLUTE_PATH_OR_EMPTY, description: 'Absolute working directory; empty = the daemon\'s (or the user\'s home for another user).' }),
  environment: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,255}$' }), Type.String({ maxLength: 65536, pattern: '^[^\\u0000]*$' }), {
    description: 'Variables merged over the daemon\'s environment.',
    additionalProperties: false,
  }),
  enabled: Type.Boolean(),
  boot: Type.Boolean({ description: 'Start when the daemon starts (if enabled).' }),
  autorestart: AutorestartInput,
  exitcodes: Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { maxItems: 256, description: 'Expected exit codes for autorestart "unexpected".' }),
  priority: Type.Integer({ minimum: 0, maximum: 999999, description: 'Boot order (ascending) and shutdown order (descending).' }),
  delay_seconds: Type.Number({ minimum: 0, maximum: 3600, description: 'At boot, wait this long after the previous priority group is up.' }),
  startsecs: Type.Number({ minimum: 0, maximum: 3600, description: 'Seconds a process must stay up to count as RUNNING.' }),
  startretries: Type.Integer({ minimum: 0, maximum: 100, description: 'Failed starts allowed before FATAL.' }),
  stopsignal: Type.Enum(STOP_SIGNALS, { description: 'Signal sent to the process group on stop.' }),
  stopwaitsecs: Type.Number({ minimum: 0, maximum: 3600, description: 'Seconds to wait after stopsignal before SIGKILL.' }),
  stdout_logfile: Type.String({ maxLength: 4096, pattern: ABSOLUTE_PATH_OR_EMPTY, description: 'Absolute path; empty = <data-dir>/logs/<id>.stdout.log.' }),
  stderr_logfile: Type.String({ maxLength: 4096, pattern: ABSOLUTE_PATH_OR_EMPTY, description: 'Absolute path; empty = <data-dir>/logs/<id>.stderr.log.' }),
  redirect_stderr: Type.Boolean({ description: 'Send stderr to the stdout log.' }),
  stdout_logfile_maxbytes: Type.Integer({ minimum: 0, maximum: 2 ** 40, description: 'Rotate the stdout log past this many bytes; 0 = never rotate. Default 52428800 (50 MiB).' }),
  stdout_logfile_backups: Type.Integer({ minimum: 0, maximum: 1000, description: 'Rotated stdout logs to keep (<path>.1 … .N). Default 10.' }),
  stderr_logfile_maxbytes: Type.Integer({ minimum: 0, maximum: 2 ** 40, description: 'Rotate the stderr log past this many bytes; 0 = never rotate. Default 52428800 (50 MiB).' }),
  stderr_logfile_backups: Type.Integer({ minimum: 0, maximum: 1000, description: 'Rotated stderr logs to keep. Default 10.' }),
  log_timestamps: Type.Boolean({ description: 'Prefix every captured line with an ISO-8601 time. Default false (logs stay byte for byte).' }),
  port_range: PortRange,
}

const opt = <T extends Record<string, Parameters<typeof Type.Optional>[0]>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof T]: ReturnType<typeof Type.Optional<T[K]>> }

const { name, command, ...optionalEditable } = editableFields

/** Body of POST /programs/add: name and command required, every other field optional. */
export const ProgramAddBody = Type.Object({
  name,
  command,
  id: Type.Optional(ProgramId),
  ...opt(optionalEditable),
}, { additionalProperties: false })

/** Body of POST /programs/edit/{id}: any editable field; the id never changes. */
export const ProgramEditBody = Type.Object(opt(editableFields), { additionalProperties: false })

/** A stored program with every default filled in. */
export const Program = Type.Object({
  id: ProgramId,
  ...editableFields,
  autorestart: AutorestartValue,
  hoody_kit: Type.Boolean({ description: 'Read-only: true for programs loaded from the defaults file.' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
}, { additionalProperties: false })

/** The value of every optional field when an add body leaves it out. */
export const PROGRAM_DEFAULTS = {
  description: '',
  user: '',
  directory: '',
  environment: {},
  enabled: true,
  boot: false,
  autorestart: 'unexpected',
  exitcodes: [0],
  priority: 999,
  delay_seconds: 0,
  startsecs: 1,
  startretries: 3,
  stopsignal: 'TERM',
  stopwaitsecs: 10,
  stdout_logfile: '',
  stderr_logfile: '',
  redirect_stderr: false,
  stdout_logfile_maxbytes: 50 * 1024 * 1024,
  stdout_logfile_backups: 10,
  stderr_logfile_maxbytes: 50 * 1024 * 1024,
  stderr_logfile_backups: 10,
  log_timestamps: false,
  port_range: { start: 0, end: 0 },
} as const satisfies Partial<Program>

export const READ_ONLY_FIELDS = ['hoody_kit', 'created_at', 'updated_at'] as const

export type Program = Static<typeof Program>
export type ProgramAddBody = Static<typeof ProgramAddBody>
export type ProgramEditBody = Static<typeof ProgramEditBody>
export type PortRange = Static<typeof PortRange>
export type Autorestart = Static<typeof AutorestartValue>
export type StopSignal = (typeof STOP_SIGNALS)[number]
