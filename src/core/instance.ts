// One process instance: the only writer of its state. It feeds events to the pure machine,
// carries out the effects (spawn, signal, timers) and serialises commands, so two racing
// starts can never spawn twice.
import type { ChildProcess } from 'node:child_process'
import { EngineError } from '../errors.js'
import type { Autorestart, StopSignal } from '../schema/program.js'
import { capture, lineTimestamper } from '../logs/capture.js'
import type { LogFile, RotationPolicy } from '../logs/log-file.js'
import type { LogFiles } from '../logs/log-files.js'
import { openLogAs } from '../logs/safe-open.js'
import { exitStatusOf, groupAlive, signalGroup, toSignal } from './kill.js'
import { transition } from './machine.js'
import { portHolder } from './port-check.js'
import { spawnProcess, type ProcessSpec } from './spawner.js'
import { daemonIsRoot, findUserSync, identityOf, isDaemonUser } from './users.js'
import type { Effect, MachineContext, MachineEvent, ProcessState, TimerName } from './states.js'

export interface LogTarget {
  readonly path: string
  readonly policy: RotationPolicy
  /** A path from the program's configuration (not the daemon's default): opened as its user. */
  readonly chosenByProgram: boolean
}

export interface InstanceSpec extends ProcessSpec {
  readonly programId: string
  /** 0 for a single-instance program. */
  readonly port: number
  readonly stdout: LogTarget
  /** null when stderr is redirected into the stdout log. */
  readonly stderr: LogTarget | null
  readonly logTimestamps: boolean
  readonly startsecs: number
  readonly startretries: number
  readonly stopwaitsecs: number
  readonly stopsignal: StopSignal
  readonly autorestart: Autorestart
  readonly exitcodes: readonly number[]
}

export interface InstanceSnapshot {
  readonly port: number
  readonly state: ProcessState
  readonly pid: number | null
  /** When the current process was spawned (ms since epoch), null when none runs. */
  readonly startedAt: number | null
  readonly exitStatus: number | null
  readonly spawnError: string | null
}

interface LiveProcess {
  readonly child: ChildProcess
  readonly pid: number
  readonly startedAt: number
  /** Resolves once both pipes have closed and everything read from them is in the log files. */
  readonly drained: Promise<void>
}

/** How often a stopping instance checks whether its whole process group is gone. */
const GROUP_POLL_MS = 20
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
  private state: ProcessState = 'STOPPED'
  private failures = 0
  private crashes = 0
  private exitStatus: number | null = null
  private spawnError: string | null = null
  private live: LiveProcess | null = null
  /** Armed timers, each with the function that cancels it. */
  private readonly timers = new Map<TimerName, () => void>()
  private readonly listeners = new Set<() => void>()
  private deferred: MachineEvent[] = []
  private commands: Promise<unknown> = Promise.resolve()
  private groupPoll: NodeJS.Timeout | null = null
  private disposed = false

  /** Called after every applied event, so readers can cache what they derive from snapshots. */
  private readonly onChange: () => void

  constructor(spec: InstanceSpec, logFiles: LogFiles, onChange: () => void = () => undefined) {
    this.spec = spec
    this.logFiles = logFiles
    this.onChange = onChange
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

  /** Ask for a start; resolves once the event is applied (not when RUNNING: see waitFor). */
  start(): Promise<void> {
    return this.enqueue(() => {
      this.dispatch({ type: 'start' })
      return Promise.resolve()
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

  private stopNow(): Promise<void> {
    this.dispatch({ type: 'stop' })
    return this.waitFor((state) => state !== 'STOPPING', Number.POSITIVE_INFINITY).then(() => undefined)
  }

  private enqueue(command: () => Promise<void>): Promise<void> {
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
    this.onChange()
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

  /** Carry out effects in order; a failed spawn ends the list and returns the event to feed back. */
  private runEffects(effects: readonly Effect[]): MachineEvent | undefined {
    for (const effect of effects) {
      switch (effect.type) {
        case 'cancel_timers':
          this.cancelTimers()
          break
        case 'arm':
          this.arm(effect.timer, effect.ms)
          break
        case 'signal':
          this.signal(effect.signal === 'SIGKILL' ? 'SIGKILL' : toSignal(this.spec.stopsignal))
          break
        case 'spawn': {
          const failure = this.spawn()
          if (failure !== undefined) return { type: 'spawn_failed', reason: failure }
          return { type: 'spawned' }
        }
      }
    }
    return undefined
  }

  private arm(timer: TimerName, ms: number): void {
    if (this.disposed) return
    const event: MachineEvent = timer === 'startsecs'
      ? { type: 'startsecs_elapsed' }
      : timer === 'backoff'
        ? { type: 'backoff_elapsed' }
        : timer === 'restart'
          ? { type: 'restart_due' }
          : { type: 'stopwait_elapsed' }
    this.timers.get(timer)?.()
    const fire = () => {
      this.timers.delete(timer)
      this.dispatch(event)
    }
    // A zero delay (an immediate restart) runs on the next turn of the loop, not a timer tick
    // (setTimeout's minimum of 1 ms was a third of a respawn).
    if (ms <= 0) {
      const immediate = setImmediate(fire)
      this.timers.set(timer, () => { clearImmediate(immediate) })
    } else {
      const timeout = setTimeout(fire, ms)
      this.timers.set(timer, () => { clearTimeout(timeout) })
    }
  }

  private cancelTimers(): void {
    for (const cancel of this.timers.values()) cancel()
    this.timers.clear()
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.live === null) return
    signalGroup(this.live.pid, signal)
  }

  /** Spawn the process; returns the reason when it could not be spawned. */
  private spawn(): string | undefined {
    if (this.spec.port !== 0) {
      const holder = portHolder(this.spec.port)
      if (holder !== undefined) return `port ${this.spec.port} is already in use${holder === '' ? '' : ` by ${holder}`}`
    }
    let files: LogFile[]
    try {
      files = this.openLogs()
    } catch (error) {
      return (error as Error).message
    }
    const outcome = spawnProcess(this.spec)
    if (!outcome.ok) {
      for (const file of files) void this.logFiles.release(file)
      return outcome.reason
    }
    const { child, pid } = outcome
    const stdoutFile = files[0] as LogFile
    const stderrFile = files[1] ?? stdoutFile
    const stamp = () => (this.spec.logTimestamps ? lineTimestamper() : undefined)
    const captured = [
      child.stdout === null ? Promise.resolve() : capture(child.stdout, stdoutFile, stamp()),
      child.stderr === null ? Promise.resolve() : capture(child.stderr, stderrFile, stamp()),
    ]
    const drained = Promise.all(captured).then(() => Promise.all(files.map((file) => file.idle()))).then(() => undefined)
    void drained.then(() => Promise.all(files.map((file) => this.logFiles.release(file))))
    const live: LiveProcess = { child, pid, startedAt: Date.now(), drained }
    this.live = live
    child.once('exit', (code, signal) => { this.onExit(live, exitStatusOf(code, signal)) })
    return undefined
  }

  /** Open stdout (and stderr) logs; paths a program chose are opened as its user would. */
  private openLogs(): LogFile[] {
    const targets = this.spec.stderr === null ? [this.spec.stdout] : [this.spec.stdout, this.spec.stderr]
    const owner = !daemonIsRoot() || isDaemonUser(this.spec.user) ? undefined : findUserSync(this.spec.user)
    const files: LogFile[] = []
    try {
      for (const target of targets) {
        const openFd = owner !== undefined && target.chosenByProgram
          ? (path: string) => openLogAs(path, identityOf(owner))
          : undefined
        files.push(this.logFiles.acquire(target.path, { policy: target.policy, ...(openFd === undefined ? {} : { openFd }) }))
      }
    } catch (error) {
      for (const file of files) void this.logFiles.release(file)
      const message = (error as Error).message
      throw new Error(message.startsWith('log file') ? message : `cannot open log file: ${message}`)
    }
    return files
  }

  private onExit(live: LiveProcess, exitStatus: number): void {
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

  private finishExit(live: LiveProcess, exitStatus: number, ranMs: number): void {
    if (this.live !== live) return
    this.live = null
    this.dispatch({ type: 'exited', exitStatus, ranMs })
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }

  /** Drop a stopped instance: no timer may fire and no process may be left behind it. */
  dispose(): void {
    if (this.live !== null) throw new EngineError(`bug: instance ${this.spec.programId}:${this.spec.port} disposed with pid ${this.live.pid} alive`)
    this.disposed = true
    this.cancelTimers()
    if (this.groupPoll !== null) clearTimeout(this.groupPoll)
  }
}
