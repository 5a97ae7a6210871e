// The supervisord state machine as data: for each state, the events it accepts and what they do.
// A (state, event) pair missing here is a bug, and machine.ts throws on it.
import type { Autorestart } from '../schema/program.js'
import { PROCESS_STATES } from '../schema/status.js'
import { backoffDelayMs, crashLoopDelayMs, nextCrashCount, shouldRestart } from './restart-policy.js'

export type ProcessState = (typeof PROCESS_STATES)[number]
export { PROCESS_STATES }

/** States in which a process of the instance may be alive (an edit is refused). */
export const LIVE_STATES: readonly ProcessState[] = ['STARTING', 'RUNNING', 'BACKOFF', 'STOPPING']

export type MachineEvent =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'spawned' }
  | { type: 'startsecs_elapsed' }
  | { type: 'spawn_failed'; reason: string }
  /** exitStatus is null when it cannot be known (a process adopted from a previous run). */
  | { type: 'exited'; exitStatus: number | null; ranMs: number }
  | { type: 'backoff_elapsed' }
  | { type: 'restart_due' }
  | { type: 'stopwait_elapsed' }
  | { type: 'lost' }
  /** A process of the previous run, still alive, is supervised again. */
  | { type: 'adopted' }

export type EventType = MachineEvent['type']
export const EVENT_TYPES: readonly EventType[] = [
  'start', 'stop', 'spawned', 'startsecs_elapsed', 'spawn_failed', 'exited', 'backoff_elapsed', 'restart_due', 'stopwait_elapsed', 'lost', 'adopted',
]

export type TimerName = 'startsecs' | 'backoff' | 'restart' | 'stopwait'

/** What the instance must do after a transition, in order. */
export type Effect =
  | { type: 'cancel_timers' }
  | { type: 'spawn' }
  | { type: 'arm'; timer: TimerName; ms: number }
  | { type: 'signal'; signal: 'stopsignal' | 'SIGKILL' }

/** What the machine needs to know about the instance, besides its state. */
export interface MachineContext {
  readonly startsecs: number
  readonly startretries: number
  readonly stopwaitsecs: number
  readonly autorestart: Autorestart
  readonly exitcodes: readonly number[]
  /** Failed starts since the last `start` command or the last RUNNING. */
  readonly failures: number
  /** Quick crashes in a row after RUNNING (crash-loop backoff). */
  readonly crashes: number
}

export interface Outcome {
  readonly state: ProcessState
  readonly effects: readonly Effect[]
  /** The event cannot apply yet: replay it after the next state change. */
  readonly deferred?: true
  readonly failures?: number
  readonly crashes?: number
  /** A new spawn error (string), cleared (null) or unchanged (undefined). */
  readonly spawnError?: string | null
  readonly exitStatus?: number | null
}

type Rule<E extends EventType> = (ctx: MachineContext, event: Extract<MachineEvent, { type: E }>) => Outcome
export type StateRules = { readonly [E in EventType]?: Rule<E> }

const stay = (state: ProcessState): Outcome => ({ state, effects: [] })

// The startsecs clock starts once the process exists (the `spawned` event).
const spawnAgain: Effect[] = [{ type: 'cancel_timers' }, { type: 'spawn' }]

// STOPPED/EXITED/FATAL/UNKNOWN -> STARTING: a fresh start forgets earlier failures.
const freshStart: Rule<'start'> = () => ({
  state: 'STARTING', effects: spawnAgain, failures: 0, crashes: 0, spawnError: null,
})

// STARTING/RUNNING -> STOPPING: signal the whole group, escalate after stopwaitsecs.
const beginStop: Rule<'stop'> = (ctx) => ({
  state: 'STOPPING',
  effects: [
    { type: 'cancel_timers' },
    { type: 'signal', signal: 'stopsignal' },
    { type: 'arm', timer: 'stopwait', ms: ctx.stopwaitsecs * 1000 },
  ],
})

// STARTING -> BACKOFF / FATAL: the attempt failed before startsecs.
function failedStart(ctx: MachineContext, reason: string, exitStatus?: number | null): Outcome {
  const failures = ctx.failures + 1
  const base = { failures, spawnError: reason, ...(exitStatus === undefined ? {} : { exitStatus }) }
  if (failures > ctx.startretries) {
    return { ...base, state: 'FATAL', effects: [{ type: 'cancel_timers' }] }
  }
  return {
    ...base,
    state: 'BACKOFF',
    effects: [{ type: 'cancel_timers' }, { type: 'arm', timer: 'backoff', ms: backoffDelayMs(failures) }],
  }
}

// STARTING -> RUNNING: the process stayed up for startsecs.
const becomeRunning = (): Outcome => ({ state: 'RUNNING', effects: [{ type: 'cancel_timers' }], failures: 0, spawnError: null })

const lost: Rule<'lost'> = () => ({ state: 'UNKNOWN', effects: [{ type: 'cancel_timers' }] })

export const TRANSITIONS: { readonly [S in ProcessState]: StateRules } = {
  STOPPED: {
    start: freshStart,
    stop: () => stay('STOPPED'),
    lost,
    // STOPPED -> RUNNING: the daemon restarted and found this instance's process still alive.
    adopted: () => ({ state: 'RUNNING', effects: [], failures: 0, crashes: 0, spawnError: null, exitStatus: null }),
  },
  EXITED: {
    start: freshStart,
    // A pending autorestart is cancelled; the state stays EXITED.
    stop: () => ({ state: 'EXITED', effects: [{ type: 'cancel_timers' }] }),
    // EXITED -> STARTING: autorestart, after the crash-loop delay.
    restart_due: () => ({ state: 'STARTING', effects: spawnAgain }),
    lost,
  },
  FATAL: {
    start: freshStart,
    stop: () => stay('FATAL'),
    lost,
  },
  UNKNOWN: {
    start: freshStart,
    stop: () => ({ state: 'STOPPED', effects: [{ type: 'cancel_timers' }] }),
    lost: () => stay('UNKNOWN'),
  },
  STARTING: {
    start: () => stay('STARTING'),
    // startsecs 0 means RUNNING the moment the process exists, not one timer tick later.
    spawned: (ctx) => ctx.startsecs === 0
      ? becomeRunning()
      : { state: 'STARTING', effects: [{ type: 'arm', timer: 'startsecs', ms: ctx.startsecs * 1000 }] },
    stop: beginStop,
    // STARTING -> RUNNING
    startsecs_elapsed: becomeRunning,
    spawn_failed: (ctx, event) => failedStart(ctx, event.reason),
    exited: (ctx, event) => failedStart(
      ctx,
      `exited with status ${event.exitStatus ?? 'unknown'} before startsecs (${ctx.startsecs} s)`,
      event.exitStatus,
    ),
    lost,
  },
  RUNNING: {
    start: () => stay('RUNNING'),
    stop: beginStop,
    // RUNNING -> EXITED, then autorestart decides.
    exited: (ctx, event) => {
      if (!shouldRestart(ctx.autorestart, ctx.exitcodes, event.exitStatus)) {
        return { state: 'EXITED', effects: [{ type: 'cancel_timers' }], exitStatus: event.exitStatus }
      }
      const crashes = nextCrashCount(ctx.crashes, event.ranMs)
      return {
        state: 'EXITED',
        exitStatus: event.exitStatus,
        crashes,
        effects: [{ type: 'cancel_timers' }, { type: 'arm', timer: 'restart', ms: crashLoopDelayMs(crashes) }],
      }
    },
    lost,
  },
  BACKOFF: {
    start: () => stay('BACKOFF'),
    // BACKOFF -> STOPPED: no process is alive, nothing to signal.
    stop: () => ({ state: 'STOPPED', effects: [{ type: 'cancel_timers' }] }),
    // BACKOFF -> STARTING
    backoff_elapsed: () => ({ state: 'STARTING', effects: spawnAgain }),
    lost,
  },
  STOPPING: {
    start: () => ({ state: 'STOPPING', effects: [], deferred: true }),
    stop: () => stay('STOPPING'),
    // The process ignored stopsignal: SIGKILL the group.
    stopwait_elapsed: () => ({ state: 'STOPPING', effects: [{ type: 'signal', signal: 'SIGKILL' }] }),
    // STOPPING -> STOPPED: an exit while stopping is never a crash.
    exited: (_ctx, event) => ({ state: 'STOPPED', effects: [{ type: 'cancel_timers' }], exitStatus: event.exitStatus }),
    // The exec failed after stop was asked: nothing ran, so it is stopped.
    spawn_failed: () => ({ state: 'STOPPED', effects: [{ type: 'cancel_timers' }] }),
    lost,
  },
}
