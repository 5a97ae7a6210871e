// One process instance: the only writer of its state. It feeds events to the pure machine,
// carries out the effects (spawn, signal, timers) and serialises commands, so two racing
// starts can never spawn twice.
import { EngineError } from '../errors.js'
import type { PipeReader } from '../logs/capture.js'
import type { LogFile } from '../logs/log-file.js'
import type { LogFiles } from '../logs/log-files.js'
import type { FifoPool } from '../system/fifo-pool.js'
import { isRunningProcess, processStartTime } from '../system/proc-identity.js'
import { exitStatusOf, groupAlive, signalGroup, toSignal } from './kill.js'
import { transition } from './machine.js'
import { MachineTimers } from './machine-timers.js'
import { reopenOutputPipe } from './output-pipe.js'
import { attemptSpawn, captureOutput, openLogs } from './spawn-attempt.js'
import { beginSpawn } from './spawn-pace.js'
import type { InstanceSnapshot, InstanceSpec, ProcessRecord } from './instance-spec.js'
import type { SpawnedChild } from './spawner.js'
import type { Effect, MachineContext, MachineEvent, ProcessState } from './states.js'

interface LiveProcess extends ProcessRecord {
  /** null for a process adopted from a previous run: not our child, watched through /proc. */
  readonly child: SpawnedChild | null
  /** Resolves once both pipes have closed and everything read from them is in the log files. */
  readonly drained: Promise<void>
}

export interface InstanceDeps {
  readonly logFiles: LogFiles
  readonly pipes: FifoPool
  /** Called after every applied event, so readers can cache what they derive from snapshots. */
  readonly onChange: () => void
  /** Called when a process appears or disappears (for the record of live processes). */
  readonly onLiveChange: () => void
}

/** How often a stopping instance checks whether its whole process group is gone. */
const GROUP_POLL_MS = 20
/** How often an adopted process (not our child: no exit event) is looked up in /proc. */
const ADOPTED_POLL_MS = 1000
/**
 * After an exit, how long to wait for the last output to reach the log files before reporting
 * it (a grandchild holding the pipes open must not delay the report for ever).
 */
const DRAIN_WAIT_MS = 250

/** Resolve when `promise` settles or after `ms`, whichever comes first. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    void promise.finally(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

export class Instance {
  private spec: InstanceSpec
  private readonly logFiles: LogFiles
  private readonly deps: InstanceDeps
  private spawns = 0
  private adoptedWatch: NodeJS.Timeout | null = null
  private state: ProcessState = 'STOPPED'
  private failures = 0
  private crashes = 0
  private exitStatus: number | null = null
  private spawnError: string | null = null
  private live: LiveProcess | null = null
  private readonly timers = new MachineTimers((event) => { this.dispatch(event) })
  private readonly listeners = new Set<() => void>()
  private deferred: MachineEvent[] = []
  /** A spawn under way (the clone and exec run off the event loop), and the events it holds back. */
  private spawning: Promise<void> | null = null
  private heldDuringSpawn: MachineEvent[] = []
  private commands: Promise<unknown> = Promise.resolve()
  private groupPoll: NodeJS.Timeout | null = null
  private disposed = false

  constructor(spec: InstanceSpec, deps: InstanceDeps) {
    this.spec = spec
    this.logFiles = deps.logFiles
    this.deps = deps
  }

  get port(): number {
    return this.spec.port
  }

  get currentState(): ProcessState {
    return this.state
  }

  /** Replace the spec; takes effect at the next spawn. */
  configure(spec: InstanceSpec): void {
    this.spec = spec
  }

  snapshot(): InstanceSnapshot {
    return {
      port: this.spec.port,
      state: this.state,
      pid: this.live?.pid ?? null,
      startedAt: this.live?.startedAt ?? null,
      exitStatus: this.exitStatus,
      spawnError: this.spawnError,
    }
  }

  /** The live process as the next daemon would need to find it; null when none runs. */
  record(): ProcessRecord | null {
    if (this.live === null) return null
    const { pid, procStart, startedAt, stdoutPipe, stderrPipe } = this.live
    return { pid, procStart, startedAt, stdoutPipe, stderrPipe }
  }

  /**
   * Supervise a process a previous daemon started, if it is still that very process (pid and
   * start time) and its output FIFOs are there. False leaves the instance STOPPED; the caller
   * then stops the process itself.
   */
  adopt(record: ProcessRecord): Promise<boolean> {
    return this.enqueue(() => Promise.resolve(this.adoptNow(record)))
  }

  private adoptNow(record: ProcessRecord): boolean {
    if (this.state !== 'STOPPED' || this.live !== null || !isRunningProcess(record.pid, record.procStart)) return false
    const readers: PipeReader[] = []
    let files: LogFile[]
    try {
      readers.push(reopenOutputPipe(record.stdoutPipe))
      if (record.stderrPipe !== null) readers.push(reopenOutputPipe(record.stderrPipe))
      files = openLogs(this.spec, this.logFiles)
    } catch {
      for (const reader of readers) reader.destroy()
      return false
    }
    const live: LiveProcess = { ...record, child: null, drained: captureOutput(this.spec, this.logFiles, readers, files) }
    this.live = live
    this.dispatch({ type: 'adopted' })
    this.deps.onLiveChange()
    this.watchAdopted(live)
    return true
  }

  /** No exit event comes for a process that is not our child: look it up until it is gone. */
  private watchAdopted(live: LiveProcess): void {
    if (this.live !== live || this.disposed) return
    if (!isRunningProcess(live.pid, live.procStart)) {
      this.adoptedWatch = null
      this.onExit(live, null)
      return
    }
    this.adoptedWatch = setTimeout(() => { this.watchAdopted(live) }, this.state === 'STOPPING' ? GROUP_POLL_MS : ADOPTED_POLL_MS)
  }

  /** Ask for a start; resolves once the event is applied (not when RUNNING: see waitFor). */
  start(): Promise<void> {
    return this.enqueue(async () => {
      this.dispatch({ type: 'start' })
      // Resolved with the pid known (or the spawn failed): `?wait=false` reports it.
      await this.spawnSettled()
    })
  }

  /** Stop and resolve once no process of this instance is left. Holds the queue meanwhile. */
  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow())
  }

  /** Stop then start as one command, so no other command can slip in between. */
  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.stopNow()
      this.dispatch({ type: 'start' })
      await this.spawnSettled()
    })
  }

  /** Resolve with the state once `done(state)` holds, or with the current state at the deadline. */
  waitFor(done: (state: ProcessState, snapshot: InstanceSnapshot) => boolean, timeoutMs: number): Promise<ProcessState> {
    if (done(this.state, this.snapshot())) return Promise.resolve(this.state)
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        this.listeners.delete(check)
        resolve(this.state)
      }
      const check = () => {
        if (done(this.state, this.snapshot())) finish()
      }
      // setTimeout treats Infinity as 1 ms, so an unbounded wait sets no timer at all.
      const timer = Number.isFinite(timeoutMs) ? setTimeout(finish, timeoutMs) : undefined
      this.listeners.add(check)
    })
  }

  private async spawnSettled(): Promise<void> {
    while (this.spawning !== null) await this.spawning
  }

  private async stopNow(): Promise<void> {
    // A stop during a spawn applies to the process that spawn makes.
    await this.spawnSettled()
    this.dispatch({ type: 'stop' })
    if (this.live?.child === null && this.adoptedWatch !== null) {
      // An adopted process is looked up once a second; a stop wants to know at once.
      clearTimeout(this.adoptedWatch)
      this.watchAdopted(this.live)
    }
    await this.waitFor((state) => state !== 'STOPPING', Number.POSITIVE_INFINITY)
  }

  private enqueue<T>(command: () => Promise<T>): Promise<T> {
    const run = this.commands.then(command)
    // The queue survives a failed command; the caller still sees the failure.
    this.commands = run.catch(() => undefined)
    return run
  }

  private context(): MachineContext {
    const { startsecs, startretries, stopwaitsecs, autorestart, exitcodes } = this.spec
    return { startsecs, startretries, stopwaitsecs, autorestart, exitcodes, failures: this.failures, crashes: this.crashes }
  }

  private dispatch(event: MachineEvent): void {
    if (this.spawning !== null) {
      // The machine sees a spawn as one step: what comes meanwhile is applied after it.
      this.heldDuringSpawn.push(event)
      return
    }
    const outcome = transition(this.state, event, this.context())
    if (outcome.deferred === true) {
      this.deferred.push(event)
      return
    }
    const previous = this.state
    this.state = outcome.state
    if (outcome.failures !== undefined) this.failures = outcome.failures
    if (outcome.crashes !== undefined) this.crashes = outcome.crashes
    if (outcome.spawnError !== undefined) this.spawnError = outcome.spawnError
    if (outcome.exitStatus !== undefined) this.exitStatus = outcome.exitStatus
    const followUp = this.runEffects(outcome.effects)
    this.deps.onChange()
    if (previous !== this.state || followUp !== undefined) this.notify()
    if (followUp !== undefined) {
      this.dispatch(followUp)
      return
    }
    if (previous !== this.state && this.deferred.length > 0) {
      const replay = this.deferred
      this.deferred = []
      for (const deferredEvent of replay) this.dispatch(deferredEvent)
    }
  }

  /** Carry out effects in order; a spawn ends the list (its outcome is fed back when it settles). */
  private runEffects(effects: readonly Effect[]): MachineEvent | undefined {
    for (const effect of effects) {
      switch (effect.type) {
        case 'cancel_timers':
          this.timers.cancelAll()
          break
        case 'arm':
          if (!this.disposed) this.timers.arm(effect.timer, effect.ms)
          break
        case 'signal':
          this.signal(effect.signal === 'SIGKILL' ? 'SIGKILL' : toSignal(this.spec.stopsignal))
          break
        case 'spawn':
          this.beginSpawn()
          return undefined
      }
    }
    return undefined
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.live === null) return
    signalGroup(this.live.pid, signal)
  }

  private beginSpawn(): void {
    this.spawning = this.spawn()
      .catch((error: unknown) => (error instanceof Error ? error.message : String(error)))
      .then((failure) => {
        this.spawning = null
        this.dispatch(failure === undefined ? { type: 'spawned' } : { type: 'spawn_failed', reason: failure })
        const held = this.heldDuringSpawn
        this.heldDuringSpawn = []
        for (const event of held) this.dispatch(event)
      })
  }

  /** Spawn the process; resolves with the reason when it could not be spawned. */
  private async spawn(): Promise<string | undefined> {
    const pace = beginSpawn()
    try {
      return await this.spawnPaced(pace.offload)
    } finally {
      pace.done()
    }
  }

  private async spawnPaced(offload: boolean): Promise<string | undefined> {
    this.spawns++
    const attempt = await attemptSpawn(this.spec, this.deps, `${this.spec.programId}-${this.spec.port}-${Date.now().toString(36)}-${this.spawns}`, offload)
    if (!attempt.ok) return attempt.reason
    const { child, pid, output } = attempt
    if (this.disposed) {
      // Dropped while its clone ran: nothing may outlive the instance.
      signalGroup(pid, 'SIGKILL')
      child.onExit(() => { output.discard() })
      return 'the instance was removed while it was being spawned'
    }
    const live: LiveProcess = {
      child,
      pid,
      procStart: processStartTime(pid) ?? '',
      startedAt: Date.now(),
      stdoutPipe: output.stdoutPipe,
      stderrPipe: output.stderrPipe,
      drained: output.capture(),
    }
    this.live = live
    child.onExit((code, signal) => { this.onExit(live, exitStatusOf(code, signal)) })
    this.deps.onLiveChange()
    return undefined
  }

  private onExit(live: LiveProcess, exitStatus: number | null): void {
    if (this.live !== live) return
    const ranMs = Date.now() - live.startedAt
    // Reported once its last output is in the logs, so "exited" means "logs complete".
    const report = () => { void settleWithin(live.drained, DRAIN_WAIT_MS).then(() => { this.finishExit(live, exitStatus, ranMs) }) }
    if (this.state === 'STOPPING') {
      // Stopped only when every descendant is gone too; stopwait's SIGKILL still applies.
      this.waitForEmptyGroup(live, report)
      return
    }
    // The leader is gone: leftovers of its group would outlive the program, so they go too.
    signalGroup(live.pid, 'SIGKILL')
    report()
  }

  private waitForEmptyGroup(live: LiveProcess, then: () => void): void {
    if (!groupAlive(live.pid)) {
      then()
      return
    }
    this.groupPoll = setTimeout(() => {
      this.groupPoll = null
      this.waitForEmptyGroup(live, then)
    }, GROUP_POLL_MS)
  }

  private finishExit(live: LiveProcess, exitStatus: number | null, ranMs: number): void {
    if (this.live !== live) return
    this.live = null
    // The FIFOs go with the process; a reader still open (an escaped grandchild) keeps its own.
    this.deps.pipes.remove(live.stdoutPipe)
    if (live.stderrPipe !== null) this.deps.pipes.remove(live.stderrPipe)
    this.deps.onLiveChange()
    this.dispatch({ type: 'exited', exitStatus, ranMs })
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }

  /** Drop a stopped instance: no timer may fire and no process may be left behind it. */
  dispose(): void {
    if (this.live !== null) throw new EngineError(`bug: instance ${this.spec.programId}:${this.spec.port} disposed with pid ${this.live.pid} alive`)
    this.disposed = true
    this.timers.cancelAll()
    if (this.groupPoll !== null) clearTimeout(this.groupPoll)
    if (this.adoptedWatch !== null) clearTimeout(this.adoptedWatch)
  }
}
