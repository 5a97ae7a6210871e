// Quick-start: ephemeral programs for one-off jobs. Never restarted; a finished one stays listed
// (EXITED, with its exit status) until it is stopped, which deletes its record and its logs.
// Records live in ephemeral.json so that the next daemon start can clean up after a crash.
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { ProgramNotFoundError, SpawnError, UserNotFoundError } from '../errors.js'
import type { LogsBody } from '../schema/logs.js'
import { PROGRAM_DEFAULTS, type Program } from '../schema/program.js'
import type { EphemeralRecord, QuickStartBody, QuickStartStatus } from '../schema/quick-start.js'
import { parseCommand } from './command-line.js'
import type { EphemeralRepository } from './contracts.js'
import type { InstanceSnapshot, ProcessEngine } from './engine.js'
import { stopUnrecorded } from './adoption.js'
import { stopLeftover } from './kill.js'
import { followLogs, readLogs, rotatedFiles, type ChunkSink, type LogSource, type StreamChoice } from './log-access.js'
import { processStartTime } from '../system/proc-identity.js'
import { LIVE_STATES } from './states.js'
import { uptimeSeconds } from './status-view.js'
import { findUser, isDaemonUser } from './users.js'

const STOP_WAIT_SECS = 10
/** How long start-up cleanup waits for a leftover to honour SIGTERM before SIGKILL. */
const LEFTOVER_GRACE_MS = 2000

interface Entry {
  record: EphemeralRecord
  program: Program
  timedOut: boolean
  timer: NodeJS.Timeout | null
}

export interface QuickStartResult {
  readonly temporaryId: string
  readonly status: InstanceSnapshot['state']
  readonly pid: number | null
}

export class QuickStartService {
  private readonly engine: ProcessEngine
  private readonly repository: EphemeralRepository
  private readonly entries = new Map<string, Entry>()

  constructor(options: { engine: ProcessEngine; repository: EphemeralRepository }) {
    this.engine = options.engine
    this.repository = options.repository
  }

  /**
   * On start, every quick-start of the previous run is a leftover (api-v1, "Running the server"):
   * after a crash (even a SIGKILL) its process is stopped and its logs and record are deleted,
   * as a stop would have done. A process is killed only if its pid and its start time both
   * match, so a recycled pid is never touched; one spawned just before its record was written
   * is found by its marker. Programs, unlike these one-off jobs, are adopted (adoption.ts).
   */
  async cleanUpLeftovers(): Promise<number> {
    const leftovers = await this.repository.load()
    await Promise.all(leftovers.map(async (record) => {
      if (record.pid !== null && record.proc_start !== null) await stopLeftover(record.pid, record.proc_start, LEFTOVER_GRACE_MS)
      await removeLogs(record)
    }))
    await stopUnrecorded(this.engine.scope, new Set())
    this.engine.removeStalePipes(new Set())
    await this.persist()
    return leftovers.length
  }

  /** Stop at the timeout (if any); the timer goes once the process has exited on its own. */
  private watch(entry: Entry, timeoutMs: number | undefined): void {
    const id = entry.record.temporary_id
    if (timeoutMs !== undefined) {
      entry.timer = setTimeout(() => {
        entry.timedOut = true
        void this.engine.stop(id)
      }, timeoutMs)
    }
    void this.engine.waitFor(id, undefined, (s) => !LIVE_STATES.includes(s.state), Number.POSITIVE_INFINITY)
      .then(() => { if (entry.timer !== null) clearTimeout(entry.timer) })
  }

  async start(body: QuickStartBody): Promise<QuickStartResult> {
    parseCommand(body.command)
    const user = body.user ?? ''
    if (!isDaemonUser(user) && (await findUser(user)) === undefined) throw new UserNotFoundError(user)
    const temporaryId = `eph-${randomBytes(6).toString('hex')}`
    const program = ephemeralProgram(temporaryId, body)
    const paths = this.engine.logPaths(program, 0)
    const record: EphemeralRecord = {
      temporary_id: temporaryId,
      name: body.name ?? temporaryId,
      command: body.command,
      user,
      directory: body.directory ?? '',
      environment: body.environment ?? {},
      timeout_seconds: body.timeout_seconds ?? null,
      started_at: new Date().toISOString(),
      pid: null,
      proc_start: null,
      stdout_logfile: paths.stdout,
      stderr_logfile: paths.stderr ?? '',
    }
    this.engine.configure(program)
    await this.engine.start(temporaryId)
    const [snapshot] = this.engine.snapshots(temporaryId)
    if (snapshot === undefined || snapshot.pid === null) {
      this.engine.forget(temporaryId)
      await removeLogs(record)
      throw new SpawnError(`quick-start could not be started: ${snapshot?.spawnError ?? 'unknown reason'}`, { spawn_error: snapshot?.spawnError })
    }
    record.pid = snapshot.pid
    record.proc_start = processStartTime(snapshot.pid)
    const entry: Entry = { record, program, timedOut: false, timer: null }
    this.entries.set(temporaryId, entry)
    this.watch(entry, body.timeout_seconds === undefined ? undefined : body.timeout_seconds * 1000)
    await this.persist()
    return { temporaryId, status: snapshot.state, pid: snapshot.pid }
  }

  list(): QuickStartStatus[] {
    const now = Date.now()
    return [...this.entries.values()].map((entry) => this.statusOf(entry, now))
  }

  status(id: string): QuickStartStatus {
    return this.statusOf(this.entry(id), Date.now())
  }

  /** Resolve once it has exited (or at the deadline): `finished` tells which. */
  async wait(id: string, timeoutSeconds: number): Promise<QuickStartStatus & { finished: boolean }> {
    this.entry(id)
    const [snapshot] = await this.engine.waitFor(id, undefined, (s) => !LIVE_STATES.includes(s.state), timeoutSeconds * 1000)
    const entry = this.entries.get(id)
    if (entry === undefined) throw new ProgramNotFoundError(id)
    return { ...this.statusOf(entry, Date.now()), finished: snapshot !== undefined && !LIVE_STATES.includes(snapshot.state) }
  }

  async stop(id: string): Promise<string[]> {
    const entry = this.entry(id)
    const wasRunning = this.engine.snapshots(id).some((s) => LIVE_STATES.includes(s.state))
    this.entries.delete(id)
    if (entry.timer !== null) clearTimeout(entry.timer)
    await this.engine.stop(id)
    this.engine.forget(id)
    await removeLogs(entry.record)
    await this.persist()
    return [...(wasRunning ? ['stopped process'] : []), 'deleted logs', 'removed record']
  }

  logs(id: string, lines: number): Promise<LogsBody> {
    return readLogs(this.logSource(id), lines)
  }

  followLogs(id: string, options: { lines: number; stream: StreamChoice }, sink: ChunkSink): Promise<() => void> {
    return followLogs(this.engine, this.logSource(id), options, sink)
  }

  /** Stop every quick-start and forget them (daemon shutdown): nothing of this run is left. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.stop(id)))
  }

  private logSource(id: string): LogSource {
    const { program } = this.entry(id)
    return { paths: this.engine.logPaths(program, 0), stdoutBackups: program.stdout_logfile_backups, stderrBackups: program.stderr_logfile_backups }
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id)
    if (entry === undefined) throw new ProgramNotFoundError(id)
    return entry
  }

  private statusOf(entry: Entry, now: number): QuickStartStatus {
    const [snapshot] = this.engine.snapshots(entry.record.temporary_id)
    return {
      temporary_id: entry.record.temporary_id,
      name: entry.record.name,
      command: entry.record.command,
      status: snapshot?.state ?? 'UNKNOWN',
      pid: snapshot?.pid ?? null,
      uptime: snapshot === undefined ? 0 : uptimeSeconds(snapshot, now),
      exit_status: snapshot?.exitStatus ?? null,
      started_at: entry.record.started_at,
      timed_out: entry.timedOut,
      ...(snapshot?.spawnError == null ? {} : { spawn_error: snapshot.spawnError }),
    }
  }

  private persist(): Promise<void> {
    return this.repository.save([...this.entries.values()].map((entry) => entry.record))
  }
}

function ephemeralProgram(id: string, body: Pick<QuickStartBody, 'command' | 'name' | 'user' | 'directory' | 'environment'>): Program {
  const stamp = new Date().toISOString()
  return {
    ...PROGRAM_DEFAULTS,
    id,
    name: body.name ?? id,
    command: body.command,
    user: body.user ?? '',
    directory: body.directory ?? '',
    environment: body.environment ?? {},
    exitcodes: [0],
    port_range: { start: 0, end: 0 },
    autorestart: 'false',
    startsecs: 0,
    startretries: 0,
    stopwaitsecs: STOP_WAIT_SECS,
    hoody_kit: false,
    created_at: stamp,
    updated_at: stamp,
  }
}

async function removeLogs(record: EphemeralRecord): Promise<void> {
  const files = [record.stdout_logfile, record.stderr_logfile].filter((path) => path !== '')
    .flatMap((path) => rotatedFiles(path, PROGRAM_DEFAULTS.stdout_logfile_backups))
  await Promise.all(files.map((path) => rm(path, { force: true })))
}

