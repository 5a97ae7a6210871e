// The supervisord engine: the same ProcessEngine contract as the native one, carried out by a
// private supervisord over XML-RPC on its unix socket. One [program:x] section per instance
// (config-sync.ts); states follow supervisord's events into snapshots (state-reader.ts, slot.ts);
// logs are the files supervisord writes.
import { mkdirSync } from 'node:fs'
import { EngineError } from '../../errors.js'
import type { Program } from '../../schema/program.js'
import type { InstanceSnapshot, LiveInstanceRecord, LogPaths, ProcessEngine, ProcessRecord } from '../engine.js'
import { groupAlive, signalGroup } from '../kill.js'
import { KeyedLock } from '../keyed-lock.js'
import { instancePorts } from '../ports.js'
import { ChangeWaiters } from './change-waiters.js'
import { ConfigSync } from './config-sync.js'
import { readRelay } from './event-relay.js'
import { LogFollower } from './log-follower.js'
import { defaultLogPaths } from './log-paths.js'
import { untilProgram } from './program-pid.js'
import { planInstance, sectionName } from './program-section.js'
import { RestartRules, type Rerun } from './restart-rules.js'
import { applyInfo, LIVE_STATES, newSlot, snapshotOf, type ProcessInfo, type Slot, type SnapshotContext } from './slot.js'
import { attemptProblem, logAccessProblem } from './spawn-reason.js'
import { isInfo, StateReader, target } from './state-reader.js'
import { findSupervisord, SupervisordProcess, supervisordPaths } from './supervisord-process.js'
import { SupervisordRecovery, type RecoveryHost } from './supervisord-recovery.js'
import { FAULTS, XmlRpcFault } from './xmlrpc-client.js'

const GROUP_POLL_MS = 20

export interface SupervisordEngineOptions {
  /** <data-dir>/supervisord: config, include dir, socket, pidfile, supervisord's logs. */
  readonly dir: string
  /** Default log folder: <data-dir>/logs. */
  readonly logDir: string
  /** Names this engine's processes in their environment (HOODY_DAEMON_PROCESS=<scope>/<id>/<port>). */
  readonly scope: string
  /** The supervisord binary; found on PATH when not given. */
  readonly binary?: string
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export class SupervisordEngine implements ProcessEngine {
  readonly scope: string
  private readonly options: SupervisordEngineOptions
  private readonly sv: SupervisordProcess
  private binary = ''
  private readonly programs = new Map<string, Map<number, Slot>>()
  private readonly byName = new Map<string, Slot>()
  private readonly locks = new KeyedLock()
  private readonly follower = new LogFollower()
  private readonly waiters = new ChangeWaiters()
  private changes = 0
  private readonly config: ConfigSync
  private readonly reader: StateReader
  private readonly snapshotContext: SnapshotContext
  private activated = false
  private up = false
  private closed = false
  /** Why supervisord cannot be used now (health), or null. */
  private problem: string | null = null
  private relay: { close: () => void } | null = null
  private readonly restarts = new RestartRules((slot, why) => { this.rerun(slot, why) })
  private readonly recovery: SupervisordRecovery

  constructor(options: SupervisordEngineOptions) {
    this.options = options
    this.scope = options.scope
    this.sv = new SupervisordProcess({
      dir: options.dir,
      identifier: `hoody-daemon:${options.scope}`,
      onExit: (reason) => { this.recovery.onExit(reason) },
    })
    this.recovery = new SupervisordRecovery(this.recoveryHost())
    this.reader = new StateReader({
      client: this.sv.client,
      up: () => this.up,
      closed: () => this.closed,
      slot: (group) => this.byName.get(group),
      slots: () => this.byName.values(),
      waiting: () => this.waiters.waiting,
      apply: (slot, info) => this.apply(slot, info),
      changed: () => { this.changed() },
      readError: (error) => this.engineError('read the state of', error),
    })
    this.config = new ConfigSync({
      includeDir: this.sv.paths.includeDir,
      client: this.sv.client,
      ready: () => this.up && !this.closed,
      slot: (name) => this.byName.get(name),
      slots: () => this.byName.values(),
      fence: (slot) => { this.reader.fence(slot) },
      read: (names) => this.reader.refreshSome(names.map((name) => this.byName.get(name)).filter((slot) => slot !== undefined)),
      log: (level, message) => { this.options.log(level, message) },
    })
    this.snapshotContext = {
      up: () => this.up,
      config: this.sv.paths.config,
      // No event marks the exec: keep the revision moving so no cached view keeps this answer.
      onForkSeen: () => { this.changes++ },
    }
  }

  /** Start our supervisord, or reconnect to the one that outlived the previous daemon. */
  async open(): Promise<'started' | 'reconnected'> {
    const binary = this.options.binary ?? findSupervisord()
    if (binary === undefined) {
      throw new EngineError('--engine supervisord: supervisord was not found on PATH; install it (Debian/Ubuntu: apt-get install supervisor) or use --engine native')
    }
    this.binary = binary
    // The reader first: the relay's first events already find it.
    mkdirSync(this.options.dir, { recursive: true, mode: 0o700 })
    this.relay = readRelay(supervisordPaths(this.options.dir).events, (group) => { this.reader.onEvent(group) })
    const how = await this.sv.open(binary, () => this.recovery.stopOrphans())
    this.up = true
    this.reader.schedulePoll(0)
    return how
  }

  /** From now on configuration changes reach supervisord; the first sync removes programs gone meanwhile. */
  async activate(): Promise<void> {
    this.activated = true
    await this.config.schedule()
    await this.reader.refresh().catch(() => undefined)
    // A supervisord we reconnected to may run programs disabled while no daemon ran: as after a
    // native adoption, they are stopped.
    const disabled = [...this.byName.values()].filter((slot) => !slot.program.enabled && LIVE_STATES.includes(slot.info?.statename ?? ''))
    if (disabled.length === 0) return
    this.options.log('warn', `stopping ${disabled.length} running programs that were disabled while no daemon ran`)
    await Promise.all(disabled.map((slot) => this.locks.run(slot.name, () => this.stopSlot(slot))))
  }

  /** Stop polling and shut our supervisord down (it stops whatever still runs). */
  async close(): Promise<void> {
    this.closed = true
    this.relay?.close()
    this.reader.stopPolling()
    for (const slot of this.byName.values()) this.restarts.cancel(slot)
    this.follower.close()
    await this.config.settled
    if (this.up) await this.config.releaseGroups([...this.byName.keys()])
    await this.sv.shutdown()
    this.sv.client.close()
  }

  configure(program: Program): void {
    this.changes++
    const existing = this.programs.get(program.id) ?? new Map<number, Slot>()
    const next = new Map<number, Slot>()
    for (const port of instancePorts(program.port_range)) {
      const plan = planInstance(program, port, { scope: this.scope, logs: this.logPaths(program, port) })
      const slot = existing.get(port) ?? newSlot(program, port, sectionName(program.id, port), plan)
      slot.program = program
      slot.plan = plan
      this.config.writeSection(slot)
      next.set(port, slot)
      this.byName.set(slot.name, slot)
    }
    for (const [port, slot] of existing) {
      if (next.has(port)) continue
      this.config.removeSection(slot)
      this.byName.delete(slot.name)
    }
    this.programs.set(program.id, next)
    if (this.activated) void this.config.schedule().catch(() => undefined)
  }

  forget(id: string): void {
    this.changes++
    const names: string[] = []
    for (const slot of this.programs.get(id)?.values() ?? []) {
      this.restarts.cancel(slot)
      this.config.removeSection(slot)
      this.byName.delete(slot.name)
      names.push(slot.name)
    }
    this.programs.delete(id)
    // Nothing new for supervisord to read: the groups go without a reload.
    if (this.activated) void this.config.removeGroups(names).catch(() => undefined)
  }

  async start(id: string, port?: number): Promise<void> {
    const slots = this.select(id, port)
    for (const slot of slots) this.markStarting(slot)
    await this.config.settled
    await Promise.all(slots.map((slot) => this.locks.run(slot.name, () => this.startSlot(slot, 'command'))))
  }

  /** From the request on, a stopped instance reads STARTING until supervisord's answer is in. */
  private markStarting(slot: Slot): void {
    const { state } = this.snapshot(slot)
    if (state === 'STOPPED' || state === 'EXITED' || state === 'FATAL') {
      this.restarts.cancel(slot)
      slot.starting = true
      this.changed()
    }
  }

  async stop(id: string, port?: number): Promise<void> {
    await this.config.settled
    await Promise.all(this.select(id, port).map((slot) => this.locks.run(slot.name, () => this.stopSlot(slot))))
  }

  async restart(id: string, port?: number): Promise<void> {
    await this.config.settled
    await Promise.all(this.select(id, port).map((slot) => this.locks.run(slot.name, async () => {
      await this.stopSlot(slot)
      await this.startSlot(slot, 'command')
    })))
  }

  async waitFor(id: string, port: number | undefined, done: (s: InstanceSnapshot) => boolean, timeoutMs: number): Promise<InstanceSnapshot[]> {
    const deadline = Date.now() + timeoutMs
    await Promise.race([this.config.settled, delay(Math.max(0, Math.min(timeoutMs, 2 ** 31 - 1)))])
    return Promise.all(this.select(id, port).map((slot) => this.waitForSlot(slot, done, deadline - Date.now())))
  }

  revision(): number {
    return this.changes
  }

  snapshots(id: string): InstanceSnapshot[] {
    return [...(this.programs.get(id)?.values() ?? [])].sort((a, b) => a.port - b.port).map((slot) => this.snapshot(slot))
  }

  logPaths(program: Program, port: number): LogPaths {
    return defaultLogPaths(this.options.logDir, program, port)
  }

  followLog(path: string, listener: (chunk: Buffer) => void): () => void {
    return this.follower.follow(path, listener)
  }

  logWrittenSize(path: string): number | undefined {
    return this.follower.position(path)
  }

  /** Nothing to record: supervisord outlives a crash of the daemon, and reconnecting is the adoption. */
  liveRecords(): LiveInstanceRecord[] {
    return []
  }

  /** Processes of a native run are never supervisord's: the caller stops and restarts them. */
  adopt(_id: string, _port: number, _record: ProcessRecord): Promise<boolean> {
    return Promise.resolve(false)
  }

  /** No FIFOs: supervisord reads the programs' output itself. */
  removeStalePipes(_keep: ReadonlySet<string>): void {
    // nothing to remove
  }

  health(): string {
    if (this.problem !== null) return this.problem
    if (this.reader.unanswered !== null) return `supervisord does not answer: ${this.reader.unanswered}`
    if (this.config.problem !== null) return `running; ${this.config.problem}`
    return 'running'
  }

  // --- instances -------------------------------------------------------------------------

  private snapshot(slot: Slot): InstanceSnapshot {
    return snapshotOf(slot, this.snapshotContext)
  }

  private select(id: string, port: number | undefined): Slot[] {
    const slots = [...(this.programs.get(id)?.values() ?? [])]
    return port === undefined ? slots : slots.filter((slot) => slot.port === port)
  }

  private waitForSlot(slot: Slot, done: (s: InstanceSnapshot) => boolean, timeoutMs: number): Promise<InstanceSnapshot> {
    return this.waiters.until(() => this.snapshot(slot), done, timeoutMs, () => { this.reader.pollSoon() })
  }

  /** A start command begins afresh (no earlier failures); a retry or an autorestart goes on counting. */
  private async startSlot(slot: Slot, why: 'command' | Rerun): Promise<void> {
    if (why === 'command') {
      this.restarts.cancel(slot)
      slot.failures = 0
      slot.crashes = 0
    }
    try {
      await this.startNow(slot)
    } finally {
      if (slot.starting) {
        slot.starting = false
        this.changed()
      }
    }
  }

  private async startNow(slot: Slot): Promise<void> {
    this.requireUp()
    // A fresh start: the last attempt's reason goes, and the plan is made again (a log
    // directory created since, a user added since).
    slot.spawnError = null
    slot.local = null
    slot.plan = planInstance(slot.program, slot.port, { scope: this.scope, logs: this.logPaths(slot.program, slot.port) })
    if (this.config.writeSection(slot)) await this.config.schedule()
    // The native spawner's checks, before supervisord forks: with startsecs 0 a missing
    // directory would otherwise be RUNNING for an instant, then crash in a loop.
    const live = LIVE_STATES.includes(slot.info?.statename ?? '')
    const problem = slot.plan.problem ?? (live ? undefined : attemptProblem(slot.plan.attempt) ?? logAccessProblem(slot.program, this.logPaths(slot.program, slot.port)))
    if (problem !== undefined) {
      this.restarts.refuse(slot, problem)
      return
    }
    this.reader.fence(slot)
    // The start and the read of its pid in one request: one turn of supervisord's loop.
    const [started, info] = await this.sv.client.multicall([
      { method: 'supervisor.startProcess', params: [target(slot.name), false] },
      { method: 'supervisor.getProcessInfo', params: [target(slot.name)] },
    ]).catch((error: unknown) => { throw this.engineError('start', error) })
    if (started instanceof XmlRpcFault && started.faultCode !== FAULTS.ALREADY_STARTED && started.faultCode !== FAULTS.SPAWN_ERROR) throw this.engineError('start', started)
    // A quick program may be gone again before the next read: that end is still an exit to see.
    slot.expectExit = true
    // This read is the last word: one sent meanwhile on another connection (for an event of the
    // stop before) may have been served before the start, so it must not land after it.
    this.reader.fence(slot)
    if (isInfo(info) && this.reader.applyFresh(slot, info, slot.seq)) this.changed()
    // As with the native engine, a start returns once the program itself runs (a pid to report,
    // and signals that reach it): supervisord's fork execs within milliseconds.
    const pid = slot.info?.pid ?? 0
    if (pid > 0 && await untilProgram(pid, this.sv.paths.config) && slot.info?.pid === pid) slot.execed = pid
  }

  /** A retry or an autorestart is due (RestartRules): a start of its own, under the slot's lock. */
  private rerun(slot: Slot, why: Rerun): void {
    if (this.closed) return
    void this.locks.run(slot.name, () => this.startSlot(slot, why)).catch((error: unknown) => {
      this.options.log('error', `${slot.name}: ${why === 'retry' ? 'cannot try again' : 'cannot restart'}: ${(error as Error).message}`)
    })
  }

  private async stopSlot(slot: Slot): Promise<void> {
    this.restarts.cancel(slot)
    if (slot.local === 'BACKOFF') {
      // Nothing runs while a refused attempt waits for its retry: BACKOFF -> STOPPED.
      slot.local = 'STOPPED'
      this.changed()
      return
    }
    if (slot.local !== null) return
    if (!this.up) {
      if (slot.info === null || slot.info.statename === 'STOPPED') return
      this.requireUp()
    }
    slot.stopping = true
    try {
      await this.stopGroup(slot)
    } finally {
      slot.stopping = false
    }
  }

  private async stopGroup(slot: Slot): Promise<void> {
    // A signal that reaches supervisord's fork before it execs is caught by the fork's inherited
    // Python handler and lost: the program would then run until stopwaitsecs. So the stop waits
    // (milliseconds) until the current pid is the program itself.
    await this.reader.refreshOne(slot)
    const pid = slot.info?.pid ?? 0
    if (pid > 0 && await untilProgram(pid, this.sv.paths.config) && slot.info?.pid === pid) slot.execed = pid
    const began = Date.now()
    const limitMs = Math.ceil(slot.program.stopwaitsecs) * 1000
    this.reader.fence(slot)
    try {
      await this.sv.client.call('supervisor.stopProcess', [target(slot.name), true], limitMs + 30_000)
    } catch (error) {
      if (!(error instanceof XmlRpcFault) || (error.faultCode !== FAULTS.NOT_RUNNING && error.faultCode !== FAULTS.BAD_NAME)) throw this.engineError('stop', error)
    }
    // supervisord calls a process stopped when its leader exits; the contract waits for the group.
    if (pid > 0) {
      while (groupAlive(pid)) {
        if (Date.now() - began > limitMs) signalGroup(pid, 'SIGKILL')
        await delay(GROUP_POLL_MS)
      }
    }
    await this.reader.refreshOne(slot)
    if (slot.info?.statename === 'STOPPING') await this.waitForSlot(slot, (s) => s.state !== 'STOPPING', limitMs + 30_000)
  }

  private requireUp(): void {
    if (!this.up) throw new EngineError(`supervisord is unavailable: ${this.problem ?? 'not started'}`)
  }

  private engineError(action: string, error: unknown): EngineError {
    return new EngineError(`supervisord could not ${action} the program: ${(error as Error).message}`, error)
  }

  private changed(): void {
    this.changes++
    this.waiters.changed()
  }

  private apply(slot: Slot, info: ProcessInfo): boolean {
    return applyInfo(slot, info, this.sv.paths.logfile, (exited, last) => { this.restarts.exited(exited, last) })
  }

  /** The recovery after a death of supervisord acts on this engine through these. */
  private recoveryHost(): RecoveryHost {
    return {
      scope: this.scope,
      restart: () => this.sv.restart(this.binary),
      closed: () => this.closed,
      isUp: () => this.up,
      slots: () => this.byName.values(),
      wanted: (slot) => slot.pending !== null || ['STARTING', 'RUNNING', 'BACKOFF'].includes(slot.info?.statename ?? ''),
      cancelRestart: (slot) => { this.restarts.cancel(slot) },
      lost: (problem) => {
        this.up = false
        this.reader.stopPolling()
        this.problem = problem
        this.changed()
      },
      stillDown: (problem) => { this.problem = problem },
      back: async () => {
        this.up = true
        for (const slot of this.byName.values()) slot.info = null
        await this.reader.refresh().catch(() => undefined)
      },
      startAgain: (slot) => this.locks.run(slot.name, () => this.startSlot(slot, 'autorestart')),
      recovered: () => {
        this.problem = null
        this.changed()
        this.reader.schedulePoll(0)
      },
      log: (level, message) => { this.options.log(level, message) },
    }
  }
}
