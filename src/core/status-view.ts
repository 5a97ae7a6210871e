// From instance snapshots to the contract's status object.
import type { Program } from '../schema/program.js'
import type { InstanceStatus, ProgramStatus } from '../schema/status.js'
import type { InstanceSnapshot } from './instance-spec.js'
import { hasPortRange } from './ports.js'
import type { ProcessState } from './states.js'

// Worst first: the state a port-range program reports is that of its worst instance.
const SEVERITY: readonly ProcessState[] = ['FATAL', 'UNKNOWN', 'BACKOFF', 'EXITED', 'STOPPED', 'STOPPING', 'STARTING', 'RUNNING']

export function worstOf(snapshots: readonly InstanceSnapshot[]): InstanceSnapshot | undefined {
  let worst: InstanceSnapshot | undefined
  for (const snapshot of snapshots) {
    if (worst === undefined || SEVERITY.indexOf(snapshot.state) < SEVERITY.indexOf(worst.state)) worst = snapshot
  }
  return worst
}

export function uptimeSeconds(snapshot: InstanceSnapshot, now: number): number {
  return snapshot.startedAt === null ? 0 : Math.max(0, Math.floor((now - snapshot.startedAt) / 1000))
}

function instanceStatus(snapshot: InstanceSnapshot, now: number): InstanceStatus {
  return {
    port: snapshot.port,
    status: snapshot.state,
    pid: snapshot.pid,
    uptime: uptimeSeconds(snapshot, now),
    exit_status: snapshot.exitStatus,
    ...(snapshot.spawnError === null ? {} : { spawn_error: snapshot.spawnError }),
  }
}

export function programStatus(program: Program, snapshots: readonly InstanceSnapshot[], now = Date.now()): ProgramStatus {
  const worst = worstOf(snapshots)
  const head: ProgramStatus = {
    id: program.id,
    name: program.name,
    status: worst?.state ?? 'STOPPED',
    pid: worst?.pid ?? null,
    uptime: worst === undefined ? 0 : uptimeSeconds(worst, now),
    exit_status: worst?.exitStatus ?? null,
    ...(worst?.spawnError == null ? {} : { spawn_error: worst.spawnError }),
  }
  if (!hasPortRange(program.port_range)) return head
  return { ...head, instances: snapshots.map((s) => instanceStatus(s, now)) }
}

/** When the first uptime among these snapshots gains a second (Infinity when none is running). */
export function nextUptimeTick(snapshots: readonly InstanceSnapshot[], now: number): number {
  let next = Number.POSITIVE_INFINITY
  for (const { startedAt } of snapshots) {
    if (startedAt === null) continue
    const tick = startedAt + (Math.floor(Math.max(0, now - startedAt) / 1000) + 1) * 1000
    if (tick < next) next = tick
  }
  return next
}

/**
 * The status list, rebuilt only when the registry or a snapshot changed (`key`) or an uptime
 * gained a second. Readers get the same frozen array until then, so the API can keep its
 * serialised form: a busy status poll costs a comparison, not a rebuild.
 */
export class StatusListCache {
  private list: readonly ProgramStatus[] = Object.freeze([])
  private key: string | undefined
  private validUntil = 0

  read(key: string, now: number, build: () => { list: ProgramStatus[]; validUntil: number }): readonly ProgramStatus[] {
    if (key !== this.key || now >= this.validUntil) {
      const built = build()
      this.list = Object.freeze(built.list)
      this.validUntil = built.validUntil
      this.key = key
    }
    return this.list
  }
}
