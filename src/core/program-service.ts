// Programs: their registry and persistence, and every control command, on top of an engine.
import {
  EngineError, ProgramAlreadyExistsError, ProgramDisabledError, ProgramNotFoundError,
  ProgramRunningError, SpawnError, UserNotFoundError,
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
import { editedProgram, newProgram } from './program-config.js'
import { LIVE_STATES } from './states.js'
import { programStatus, worstOf } from './status-view.js'
import { findUser, isDaemonUser } from './users.js'

/** A waiting start gives the program startsecs plus this long to reach RUNNING. */
const START_GRACE_MS = 5000

export interface ProgramServiceOptions {
  readonly engine: ProcessEngine
  readonly repository: ProgramRepository
  readonly programs: readonly Program[]
  readonly defaults?: DefaultsSource | undefined
  readonly now?: () => Date
}

const isLive = (s: InstanceSnapshot) => LIVE_STATES.includes(s.state)

export class ProgramService implements DaemonCore {
  private readonly engine: ProcessEngine
  private readonly repository: ProgramRepository
  private readonly defaults: DefaultsSource | undefined
  private readonly programs = new Map<string, Program>()
  private readonly now: () => Date
  private configProblem: string | null = null
  private shuttingDown = false

  constructor(options: ProgramServiceOptions) {
    this.engine = options.engine
    this.repository = options.repository
    this.defaults = options.defaults
    this.now = options.now ?? (() => new Date())
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
    await this.checkUser(program.user)
    // Checked after the last await, so two racing adds cannot both pass.
    this.checkUnique(program)
    this.programs.set(program.id, program)
    await this.persist(() => this.programs.delete(program.id))
    this.engine.configure(program)
    return program
  }

  async editProgram(id: string, patch: ProgramEditBody): Promise<Program> {
    const edited = editedProgram(this.getProgram(id), patch, this.now())
    if (patch.user !== undefined) await this.checkUser(edited.user)
    const current = this.getProgram(id)
    this.refuseWhileLive(current)
    this.checkUnique(edited, id)
    this.programs.set(id, edited)
    await this.persist(() => this.programs.set(id, current))
    this.engine.configure(edited)
    return edited
  }

  async removeProgram(id: string): Promise<{ wasRunning: boolean }> {
    const program = this.getProgram(id)
    const wasRunning = this.engine.snapshots(id).some(isLive)
    this.programs.delete(id)
    await this.persist(() => this.programs.set(id, program))
    await this.engine.stop(id)
    this.engine.forget(id)
    return { wasRunning }
  }

  /** Stop and remove every program, then load the defaults file again. */
  async reset(): Promise<ResetResult> {
    // Everything is checked before anything is stopped: a bad defaults file changes nothing.
    const defaults = await this.defaultPrograms()
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

  /** The defaults file as complete programs (hoody_kit: true), checked like adds. */
  private async defaultPrograms(): Promise<Program[]> {
    if (this.defaults === undefined) return []
    let bodies: ProgramAddBody[]
    try {
      bodies = await this.defaults.load()
    } catch (error) {
      throw new EngineError(`defaults file unusable: ${(error as Error).message}`, error)
    }
    const programs: Program[] = []
    const ids = new Set<string>()
    const names = new Set<string>()
    for (const [index, body] of bodies.entries()) {
      const where = `${this.defaults.path} entry [${index}]`
      let program: Program
      try {
        program = { ...newProgram(body, this.now()), hoody_kit: true }
        await this.checkUser(program.user)
      } catch (error) {
        throw new EngineError(`${where}: ${(error as Error).message}`, error)
      }
      if (ids.has(program.id) || names.has(program.name.toLowerCase())) throw new EngineError(`${where}: duplicate id or name '${program.id}'`)
      ids.add(program.id)
      names.add(program.name.toLowerCase())
      programs.push(program)
    }
    return programs
  }

  async enable(id: string): Promise<void> {
    await this.setEnabled(id, true)
  }

  async disable(id: string): Promise<DisableResult> {
    await this.setEnabled(id, false)
    const wasRunning = this.engine.snapshots(id).some(isLive)
    await this.engine.stop(id)
    return { wasRunning, actions: wasRunning ? ['disabled', 'stopped'] : ['disabled'] }
  }

  async start(id: string, options: StartOptions): Promise<StartResult> {
    const program = await this.checkStartable(id, options.port)
    await this.engine.start(id, options.port)
    return this.startResult(program, options)
  }

  async restart(id: string, options: StartOptions): Promise<StartResult> {
    const program = await this.checkStartable(id, options.port)
    await this.engine.restart(id, options.port)
    return this.startResult(program, options)
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

  statusAll(): ProgramStatus[] {
    const now = Date.now()
    return this.listPrograms().map((program) => programStatus(program, this.engine.snapshots(program.id), now))
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

  private async startResult(program: Program, options: StartOptions): Promise<StartResult> {
    const { port } = options
    const snapshots = options.wait
      ? await this.engine.waitFor(program.id, port, (s) => s.state !== 'STARTING', program.startsecs * 1000 + START_GRACE_MS)
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

  /** Ids and names (case-insensitively) are unique; `editing` is the id being edited, if any. */
  private checkUnique(program: Program, editing?: string): void {
    if (editing === undefined && this.programs.has(program.id)) throw new ProgramAlreadyExistsError('id', program.id)
    const name = program.name.toLowerCase()
    for (const other of this.programs.values()) {
      if (other.id !== editing && other.name.toLowerCase() === name) throw new ProgramAlreadyExistsError('name', program.name)
    }
  }

  private async checkUser(user: string): Promise<void> {
    if (isDaemonUser(user)) return
    if ((await findUser(user)) === undefined) throw new UserNotFoundError(user)
  }

  /** Save the registry; on failure undo the in-memory change and report the engine error. */
  private async persist(undo: () => void): Promise<void> {
    try {
      await this.repository.save(this.listPrograms())
      this.configProblem = null
    } catch (error) {
      undo()
      this.configProblem = `cannot write programs file: ${(error as Error).message}`
      throw new EngineError(`the change was not saved: ${(error as Error).message}`, error)
    }
  }
}
