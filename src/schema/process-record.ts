// processes.json: the live processes of the daemon's run, so the next run can find them again.
import Type, { type Static } from 'typebox'

export const StoredProcess = Type.Object({
  /** The program id (or quick-start temporary id). */
  id: Type.String({ minLength: 1 }),
  /** 0 for a single-instance program. */
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  pid: Type.Integer({ minimum: 1 }),
  /** Field 22 of /proc/<pid>/stat: with the pid, names this very process (a recycled pid differs). */
  proc_start: Type.String({ minLength: 1 }),
  /** When it was spawned, in ms since the epoch (uptime goes on counting after adoption). */
  started_at: Type.Integer({ minimum: 0 }),
  stdout_pipe: Type.String({ minLength: 1 }),
  stderr_pipe: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
}, { additionalProperties: false })

export type StoredProcess = Static<typeof StoredProcess>
