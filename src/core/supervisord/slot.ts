// One program instance as the supervisord engine sees it: what supervisord last said about it,
// what the engine decided itself, and how the two become the contract's snapshot.
import type { Program } from '../../schema/program.js'
import type { InstanceSnapshot } from '../engine.js'
import { groupAlive, signalGroup } from '../kill.js'
import { PROCESS_STATES, type ProcessState } from '../states.js'
import { notProgramYet } from './program-pid.js'
import type { InstancePlan } from './program-section.js'
import { exitStatusFromLog, spawnErrorOf } from './spawn-reason.js'

/** The fields of supervisor.getProcessInfo the engine reads. */
export interface ProcessInfo {
  readonly name: string
  readonly group: string
  readonly statename: string
  readonly pid: number
  readonly start: number
  readonly stop: number
  readonly exitstatus: number
  readonly spawnerr: string
}

export interface Slot {
  readonly programId: string
  readonly port: number
  readonly name: string
  program: Program
  plan: InstancePlan
  /** The section's text in programs.conf ('' = none: no section for it). */
  written: string
  info: ProcessInfo | null
  /**
   * A state decided here, not by supervisord: BACKOFF/FATAL when the native spawner's checks
   * refuse an attempt before supervisord is asked, STOPPED when such a BACKOFF is stopped.
   */
  local: 'BACKOFF' | 'FATAL' | 'STOPPED' | null
  /** Refused attempts since the last start command (the native machine's `failures`). */
  failures: number
  /** Quick crashes in a row after RUNNING (crash-loop backoff, as in the native engine). */
  crashes: number
  /** The next attempt after a refused one, or the autorestart after an exit. */
  pending: NodeJS.Timeout | null
  exitStatus: number | null
  spawnError: string | null
  /** `stop` of the last exit seen, to read a signal's number once per exit. */
  seenStop: number
  /** A start was asked and is not answered yet: shown as STARTING (as the native engine does at once). */
  starting: boolean
  /** The pid last seen to have exec'd the program (not supervisord's fork any more). */
  execed?: number
  /** A stop is in progress: it deals with the process group itself. */
  stopping: boolean
  /**
   * The read sequence number of the newest information applied, or of the last command sent:
   * an answer to a read sent before it is stale (answers on separate connections can be
   * handled out of order) and is dropped, so a state never goes back in time.
   */
  seq: number
  /** A process of this instance was last known to exist (or was just started): its end is an exit. */
  expectExit: boolean
}

export const LIVE_STATES: readonly string[] = ['STARTING', 'RUNNING', 'BACKOFF', 'STOPPING']

export function newSlot(program: Program, port: number, name: string, plan: InstancePlan): Slot {
  return {
    programId: program.id, port, name, program, plan, written: '', info: null, local: null, failures: 0, crashes: 0, pending: null,
    exitStatus: null, spawnError: null, seenStop: 0, starting: false, stopping: false, seq: 0, expectExit: false,
  }
}

const isState = (name: string): name is ProcessState => (PROCESS_STATES as readonly string[]).includes(name)

export interface SnapshotContext {
  /** supervisord answers: without it, a state it alone knows is UNKNOWN. */
  readonly up: () => boolean
  /** supervisord's config path, which its not-yet-exec'd forks carry on their command line. */
  readonly config: string
  /** A reported pid is still supervisord's fork: no event will mark its exec. */
  readonly onForkSeen: () => void
}

export function snapshotOf(slot: Slot, context: SnapshotContext): InstanceSnapshot {
  const base = { port: slot.port, exitStatus: slot.exitStatus, spawnError: slot.spawnError }
  if (slot.starting) return { ...base, state: 'STARTING', pid: null, startedAt: null, spawnError: null }
  if (slot.local !== null) return { ...base, state: slot.local, pid: null, startedAt: null }
  if (!context.up() && slot.info !== null && slot.info.statename !== 'STOPPED') return { ...base, state: 'UNKNOWN', pid: null, startedAt: null }
  const info = slot.info
  if (info === null) return { ...base, state: 'STOPPED', pid: null, startedAt: null }
  const pid = info.pid === 0 ? null : info.pid
  // supervisord reports the pid right after its fork; until that child execs, it is still a
  // copy of supervisord (the native engine reports a pid only once exec has happened).
  if (pid !== null && slot.execed !== pid) {
    if (notProgramYet(pid, context.config)) {
      context.onForkSeen()
      return { ...base, state: 'STARTING', pid: null, startedAt: null, spawnError: null }
    }
    slot.execed = pid
  }
  return { ...base, state: isState(info.statename) ? info.statename : 'UNKNOWN', pid, startedAt: pid === null ? null : info.start * 1000 }
}

/**
 * Take a new process info into the slot; true when its snapshot may have changed. `onExited`
 * hears of an exit supervisord calls EXITED that no stop caused (the daemon decides on restarts).
 */
export function applyInfo(slot: Slot, info: ProcessInfo, supervisordLog: string, onExited: (slot: Slot, info: ProcessInfo) => void): boolean {
  const before = slot.info
  slot.info = info
  // The leader exited (or was replaced by a restart): like the native engine, nothing of its
  // group may outlive it. supervisord itself only signals the group on a stop.
  // A stop in progress waits stopwaitsecs for the group before it kills it.
  if (!slot.stopping && before !== null && before.pid !== 0 && before.pid !== info.pid && groupAlive(before.pid)) signalGroup(before.pid, 'SIGKILL')
  // An exit since the last look: a live process is not live any more, a new stop time, or
  // another pid (respawned within the second; supervisord's times are whole seconds).
  const replaced = before !== null && before.pid !== 0 && before.pid !== info.pid
  const live = LIVE_STATES.includes(info.statename)
  const ended = slot.expectExit && !live
  slot.expectExit = live
  if ((info.stop !== 0 && info.stop !== slot.seenStop) || replaced || ended) {
    slot.seenStop = info.stop
    slot.exitStatus = exitStatusFromLog(supervisordLog, slot.name) ?? (info.exitstatus === -1 ? null : info.exitstatus)
    if (info.statename === 'EXITED' && !slot.stopping) onExited(slot, info)
  }
  if (info.statename === 'RUNNING') slot.spawnError = null
  if ((info.statename === 'BACKOFF' || info.statename === 'FATAL') && (before?.statename !== info.statename || slot.spawnError === null)) {
    slot.spawnError = spawnErrorOf(info.spawnerr, slot.plan.attempt, slot.exitStatus, slot.program.startsecs)
  }
  return before === null || before.statename !== info.statename || before.pid !== info.pid || before.stop !== info.stop || before.spawnerr !== info.spawnerr
}
