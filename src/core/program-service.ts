// Programs: their registry and persistence, and every control command, on top of an engine.
import { resolve } from 'node:path'
import {
  EngineError, ProgramDisabledError, ProgramNotFoundError, ProgramRunningError, SpawnError,
  UserNotFoundError,
} from '../errors.js'
import type { LogsBody } from '../schema/logs.js'
import type { Program, ProgramAddBody, ProgramEditBody } from '../schema/program.js'
import type { ProgramStatus } from '../schema/status.js'
import type { DefaultsSource, ProgramRepository } from './contracts.js'
import type {
  DaemonCore, DisableResult, HealthChecks, ResetResult, StartOptions, StartResult, StopOptions, StopResult,
} from './daemon-core.js'
import type { InstanceSnapshot, ProcessEngine } from './engine.js'
import { followLogs, readLogs, type ChunkSink, type LogSource, type StreamChoice } from './log-access.js'
import { checkPort, hasPortRange, instancePorts } from './ports.js'
import { loadDefaultPrograms } from './defaults.js'
import { editedProgram, newProgram } from './program-config.js'
import { checkFitsRegistry, type ReservedDirs } from './registry-rules.js'
import { KeyedLock } from './keyed-lock.js'
import { LIVE_STATES } from './states.js'
import { nextUptimeTick, programStatus, StatusListCache, worstOf } from './status-view.js'
import { VersionedMap } from './versioned-map.js'
import { findUser, isDaemonUser } from './users.js'

/** A waiting start gives the program startsecs plus this long to reach RUNNING. */
const START_GRACE_MS = 5000

export interface ProgramServiceOptions {
  readonly engine: ProcessEngine
  readonly repository: ProgramRepository
  readonly programs: readonly Program[]
  readonly defaults?: DefaultsSource | undefined
  readonly now?: () => Date
  /** The daemon's data dir: program log paths may not point into it, except into its logs folder. */
  readonly reserved?: ReservedDirs | undefined
}

const isLive = (s: InstanceSnapshot) => LIVE_STATES.includes(s.state)

/**
 * Wait for `promise` at most `ms`. Its failure is rethrown when it settles in time; a late
 * failure is left to the promise's own handlers.
 */
async function raceDeadline(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  promise.catch(() => undefined)
  try {
    await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

export class ProgramService implements DaemonCore {
  private readonly engine: ProcessEngine
  private readonly repository: ProgramRepository
  private readonly defaults: DefaultsSource | undefined
  private readonly programs = new VersionedMap<string, Program>()
  private readonly statusList = new StatusListCache()
  private readonly now: () => Date
  private readonly reserved: ReservedDirs | undefined
  private configProblem: string | null = null
  private shuttingDown = false
  private readonly locks = new KeyedLock()

  constructor(options: ProgramServiceOptions) {
    this.engine = options.engine
    this.repository = options.repository
    this.defaults = options.defaults
    this.now = options.now ?? (() => new Date())
    this.reserved = options.reserved === undefined ? undefined : { dataDir: resolve(options.reserved.dataDir), logDir: resolve(options.reserved.logDir) }
    for (const program of options.programs) {
      this.programs.set(program.id, program)
      this.engine.configure(program)
    }
  }

  listPrograms(): Program[] {
    return [...this.programs.values()].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  getProgram(id: string): Program {
    const program = this.programs.get(id)
    if (program === undefined) throw new ProgramNotFoundError(id)
    return program
  }

  async addProgram(body: ProgramAddBody): Promise<Program> {
    const program = newProgram(body, this.now())
    return this.locks.run(program.id, async () => {
      await this.checkUser(program.user)
      // Checked after the last await, so two racing adds cannot both pass.
      checkFitsRegistry(program, this.programs, this.reserved)
      this.programs.set(program.id, program)
      await this.persist(() => this.programs.delete(program.id))
      this.engine.configure(program)
      return program
    })
  }

  editProgram(id: string, patch: ProgramEditBody): Promise<Program> {
    return this.locks.run(id, async () => {
      const current = this.getProgram(id)
      const edited = editedProgram(current, patch, this.now())
      if (patch.user !== undefined) await this.checkUser(edited.user)
      this.refuseWhileLive(current)
      checkFitsRegistry(edited, this.programs, this.reserved, id)
      this.programs.set(id, edited)
      await this.persist(() => this.programs.set(id, current))
      this.engine.configure(edited)
      return edited
    })
  }

  removeProgram(id: string): Promise<{ wasRunning: boolean }> {
    return this.locks.run(id, async () => {
      const program = this.getProgram(id)
      const wasRunning = this.engine.snapshots(id).some(isLive)
      this.programs.delete(id)
      await this.persist(() => this.programs.set(id, program))
      await this.engine.stop(id)
      this.engine.forget(id)
      return { wasRunning }
    })
  }

  /** Stop and remove every program, then load the defaults file again. */
  async reset(): Promise<ResetResult> {
    // Everything is checked before anything is stopped: a bad defaults file changes nothing.
    const defaults = await this.defaultPrograms()
    // A program added while the reset waited for its locks must be locked (and removed) too, or
    // a start of it could spawn in the middle of the reset. One reset at a time, so the nested
    // rounds of two resets cannot deadlock (ids never contain NUL).
    const lockAll = (held: ReadonlySet<string>): Promise<ResetResult> => {
      const more = [...this.programs.keys(), ...defaults.map((p) => p.id)].filter((id) => !held.has(id))
      if (more.length === 0) return this.replaceAll(defaults)
      return this.locks.runAll(more, () => lockAll(new Set([...held, ...more])))
    }
    return this.locks.run('\0reset', () => lockAll(new Set()))
  }

  private async replaceAll(defaults: Program[]): Promise<ResetResult> {
    const actions: string[] = []
    const previous = this.listPrograms()
    for (const group of [...new Set(previous.map((p) => p.priority))].sort((a, b) => b - a)) {
      await Promise.all(previous.filter((p) => p.priority === group).map(async (program) => {
        if (this.engine.snapshots(program.id).some(isLive)) actions.push(`stopped ${program.id}`)
        await this.engine.stop(program.id)
      }))
    }
    for (const program of previous) {
      this.engine.forget(program.id)
      this.programs.delete(program.id)
      actions.push(`removed ${program.id}`)
    }
    for (const program of defaults) {
      this.programs.set(program.id, program)
      this.engine.configure(program)
    }
    await this.persist(() => undefined)
    actions.push(this.defaults === undefined ? 'no defaults file configured' : `loaded ${defaults.length} programs from ${this.defaults.path}`)
    return { actions, count: this.programs.size }
  }

  /** First start with an empty data dir: register the defaults file's programs. */
  async loadDefaults(): Promise<number> {
    const defaults = await this.defaultPrograms()
    for (const program of defaults) {
      this.programs.set(program.id, program)
      this.engine.configure(program)
    }
    await this.persist(() => undefined)
    return defaults.length
  }

  /** Check the defaults file as fully as a reset would (at every daemon start). */
  async checkDefaults(): Promise<void> {
    await this.defaultPrograms()
  }

  /** The defaults file as complete programs (hoody_kit: true), checked like adds. */
  private defaultPrograms(): Promise<Program[]> {
    return this.defaults === undefined ? Promise.resolve([]) : loadDefaultPrograms(this.defaults, { now: this.now(), checkUser: (user) => this.checkUser(user) })
  }

  enable(id: string): Promise<void> {
    return this.locks.run(id, () => this.setEnabled(id, true))
  }

  disable(id: string): Promise<DisableResult> {
    return this.locks.run(id, async () => {
      await this.setEnabled(id, false)
      const wasRunning = this.engine.snapshots(id).some(isLive)
      await this.engine.stop(id)
      return { wasRunning, actions: wasRunning ? ['disabled', 'stopped'] : ['disabled'] }
    })
  }

  start(id: string, options: StartOptions): Promise<StartResult> {
    return this.startWith(id, options, (port) => this.engine.start(id, port))
  }

  restart(id: string, options: StartOptions): Promise<StartResult> {
    return this.startWith(id, options, (port) => this.engine.restart(id, port))
  }

  /**
   * Check and request under the program's lock, then wait outside it. The whole call is bounded
   * by startsecs + 5 s; with wait=false it answers as soon as the request is queued.
   */
  private async startWith(id: string, options: StartOptions, request: (port: number | undefined) => Promise<void>): Promise<StartResult> {
    const began = Date.now()
    let program: Program | undefined
    const requested = this.locks.run(id, async () => {
      program = await this.checkStartable(id, options.port)
      await request(options.port)
    })
    const startsecs = this.programs.get(id)?.startsecs ?? 0
    const limit = options.wait ? startsecs * 1000 + START_GRACE_MS : 0
    // Without wait, the answer still comes after the checks and the request: a start that is
    // refused (disabled meanwhile, a wrong port) must not answer 200.
    if (options.wait) await raceDeadline(requested, limit)
    else await requested
    if (program === undefined) program = this.getProgram(id)
    const remaining = Math.max(0, limit - (Date.now() - began))
    return this.startResult(program, options, remaining)
  }

  async stop(id: string, options: StopOptions): Promise<StopResult> {
    const program = this.getProgram(id)
    if (options.port !== undefined) checkPort(program.port_range, options.port)
    const before = this.engine.snapshots(id)
    await this.engine.stop(id, options.port)
    const everyInstance = options.port === undefined && (options.all === true || hasPortRange(program.port_range))
    if (!everyInstance) return {}
    return { stoppedPorts: before.filter((s) => isLive(s) && s.port !== 0).map((s) => s.port) }
  }

  status(id: string): ProgramStatus {
    return programStatus(this.getProgram(id), this.engine.snapshots(id))
  }

  statusAll(): readonly ProgramStatus[] {
    const now = Date.now()
    return this.statusList.read(`${this.programs.version}:${this.engine.revision()}`, now, () => {
      let validUntil = Number.POSITIVE_INFINITY
      const list = this.listPrograms().map((program) => {
        const snapshots = this.engine.snapshots(program.id)
        validUntil = Math.min(validUntil, nextUptimeTick(snapshots, now))
        return programStatus(program, snapshots, now)
      })
      return { list, validUntil }
    })
  }

  async logs(id: string, options: { lines: number; port?: number }): Promise<LogsBody> {
    return readLogs(this.logSource(id, options.port), options.lines)
  }

  followLogs(id: string, options: { lines: number; port?: number; stream: StreamChoice }, sink: ChunkSink): Promise<() => void> {
    return followLogs(this.engine, this.logSource(id, options.port), options, sink)
  }

  /** Where a program's (or one port's) logs are; without a port, the lowest port's. */
  private logSource(id: string, port: number | undefined): LogSource {
    const program = this.getProgram(id)
    if (port !== undefined) checkPort(program.port_range, port)
    const paths = this.engine.logPaths(program, port ?? instancePorts(program.port_range)[0] ?? 0)
    return { paths, stdoutBackups: program.stdout_logfile_backups, stderrBackups: program.stderr_logfile_backups }
  }

  health(): HealthChecks {
    return { supervisor: this.engine.health(), config: this.configProblem ?? 'valid' }
  }

  /** Enabled programs with boot: true, for the boot sequence. */
  bootPrograms(): Program[] {
    return this.listPrograms().filter((p) => p.enabled && p.boot)
  }

  /** Still there, enabled and marked boot (checked again just before a boot start). */
  /** The program if it exists and may run (enabled): what a process of the last run may be adopted for. */
  enabledProgram(id: string): Program | undefined {
    const program = this.programs.get(id)
    return program?.enabled === true ? program : undefined
  }

  isBootable(id: string): boolean {
    const program = this.programs.get(id)
    return program !== undefined && program.enabled && program.boot && !this.shuttingDown
  }

  /** Stop every instance of a program (shutdown). */
  stopAll(id: string): Promise<void> {
    return this.engine.stop(id)
  }

  /** From now on, refuse to start anything: the daemon is going down. */
  beginShutdown(): void {
    this.shuttingDown = true
  }

  private async checkStartable(id: string, port: number | undefined): Promise<Program> {
    const program = this.getProgram(id)
    if (this.shuttingDown) throw new EngineError('the daemon is shutting down; nothing new is started')
    if (!program.enabled) throw new ProgramDisabledError(id)
    if (port !== undefined) checkPort(program.port_range, port)
    await this.checkUser(program.user)
    return program
  }

  private async startResult(program: Program, options: StartOptions, remainingMs: number): Promise<StartResult> {
    const { port } = options
    const snapshots = options.wait
      ? await this.engine.waitFor(program.id, port, (s) => s.state !== 'STARTING', remainingMs)
      : this.engine.snapshots(program.id).filter((s) => port === undefined || s.port === port)
    const failed = snapshots.filter((s) => s.state === 'BACKOFF' || s.state === 'FATAL')
    if (options.wait && failed.length > 0) throw this.spawnFailure(program, failed)
    const worst = worstOf(snapshots)
    const head = { status: worst?.state ?? 'STOPPED', pid: worst?.pid ?? null } as const
    if (port !== undefined) return { ...head, port }
    if (!hasPortRange(program.port_range)) return head
    return { ...head, instances: snapshots.map((s) => ({ port: s.port, status: s.state, pid: s.pid })) }
  }

  private spawnFailure(program: Program, failed: InstanceSnapshot[]): SpawnError {
    const first = failed[0]
    const reason = first?.spawnError ?? 'it exited before startsecs'
    const where = first === undefined || first.port === 0 ? '' : ` (port ${first.port})`
    const retrying = first?.state === 'BACKOFF' ? '; retrying (BACKOFF)' : ''
    return new SpawnError(`program '${program.id}'${where} could not be started: ${reason}${retrying}`, {
      status: first?.state,
      spawn_error: reason,
      ...(first === undefined || first.port === 0 ? {} : { port: first.port }),
    })
  }

  private async setEnabled(id: string, enabled: boolean): Promise<void> {
    const program = this.getProgram(id)
    if (program.enabled === enabled) return
    this.programs.set(id, { ...program, enabled, updated_at: this.now().toISOString() })
    await this.persist(() => this.programs.set(id, program))
  }

  private refuseWhileLive(program: Program): void {
    const live = this.engine.snapshots(program.id).find(isLive)
    if (live !== undefined) throw new ProgramRunningError(program.id, live.state)
  }

  private async checkUser(user: string): Promise<void> {
    if (isDaemonUser(user)) return
    if ((await findUser(user)) === undefined) throw new UserNotFoundError(user)
  }

  /** Save the registry; on failure undo the in-memory change and report the engine error. */
  private async persist(undo: () => void): Promise<void> {
    try {
      // Sorted and serialised once per write, not once per change of a burst.
      await this.repository.save(() => this.listPrograms())
      this.configProblem = null
    } catch (error) {
      undo()
      this.configProblem = `cannot write programs file: ${(error as Error).message}`
      throw new EngineError(`the change was not saved: ${(error as Error).message}`, error)
    }
  }
}
