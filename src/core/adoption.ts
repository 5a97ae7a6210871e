// After a crash of the daemon: find the processes the previous run started and supervise them
// again (adoption), so a restart of the daemon neither orphans nor duplicates a program.
import type { StoredProcess } from '../schema/process-record.js'
import type { Program } from '../schema/program.js'
import { isRunningProcess } from '../system/proc-identity.js'
import { findMarkedProcesses } from '../system/process-marker.js'
import type { ProcessRecordRepository } from './contracts.js'
import { stopLeftover } from './kill.js'
import type { ProcessEngine, ProcessRecord } from './engine.js'
import { instancePorts } from './ports.js'

/** How long a leftover that cannot be adopted gets to honour SIGTERM before SIGKILL. */
const LEFTOVER_GRACE_MS = 2000

/** Keeps the record of live processes current: one coalesced atomic write per burst of changes. */
export class ProcessRecorder {
  private readonly repository: ProcessRecordRepository
  private readonly current: () => readonly StoredProcess[]
  private readonly onError: (error: unknown) => void

  constructor(options: { repository: ProcessRecordRepository; current: () => readonly StoredProcess[]; onError: (error: unknown) => void }) {
    this.repository = options.repository
    this.current = options.current
    this.onError = options.onError
  }

  changed(): void {
    this.repository.save(this.current).catch(this.onError)
  }

  /** Resolves once the current state is on disk. */
  flush(): Promise<void> {
    return this.repository.save(this.current)
  }
}

export function storedProcesses(engine: ProcessEngine): StoredProcess[] {
  return engine.liveRecords().map((r) => ({
    id: r.programId, port: r.port, pid: r.pid, proc_start: r.procStart, started_at: r.startedAt, stdout_pipe: r.stdoutPipe, stderr_pipe: r.stderrPipe,
  }))
}

export function processRecordOf(stored: StoredProcess): ProcessRecord {
  return { pid: stored.pid, procStart: stored.proc_start, startedAt: stored.started_at, stdoutPipe: stored.stdout_pipe, stderrPipe: stored.stderr_pipe }
}

export interface AdoptionOutcome {
  /** Processes supervised again. */
  readonly adopted: StoredProcess[]
  /** Processes stopped: their program is gone or disabled, or their output cannot be followed. */
  readonly stopped: StoredProcess[]
  /** Instances whose process died while no daemon watched: started again (autorestart allowing). */
  readonly restart: { id: string; port: number }[]
}

export interface AdoptOptions {
  readonly engine: ProcessEngine
  readonly records: readonly StoredProcess[]
  /** The current configuration of an id, if it may run (enabled); undefined otherwise. */
  readonly programOf: (id: string) => Program | undefined
}

/**
 * Adopt what can be adopted, stop what cannot, and say which instances died meanwhile. The
 * FIFOs of processes that are gone are removed.
 */
export async function adoptPrevious(options: AdoptOptions): Promise<AdoptionOutcome> {
  const { engine, records } = options
  const outcome: AdoptionOutcome = { adopted: [], stopped: [], restart: [] }
  await Promise.all(records.map(async (record) => {
    const program = options.programOf(record.id)
    const belongs = program !== undefined && instancePorts(program.port_range).includes(record.port)
    const alive = isRunningProcess(record.pid, record.proc_start)
    if (belongs && alive) {
      const adopted = await engine.adopt(record.id, record.port, processRecordOf(record))
      if (adopted) {
        outcome.adopted.push(record)
        return
      }
    }
    if (alive && await stopLeftover(record.pid, record.proc_start, LEFTOVER_GRACE_MS)) outcome.stopped.push(record)
    // It was running when the last daemon went away: a supervisor would have kept it running.
    if (belongs && program.autorestart !== 'false') outcome.restart.push({ id: record.id, port: record.port })
  }))
  for (const leftover of await stopUnrecorded(engine.scope, new Set(outcome.adopted.map((r) => r.pid)))) {
    const program = options.programOf(leftover.id)
    const belongs = program !== undefined && instancePorts(program.port_range).includes(leftover.port)
    const known = outcome.restart.some((r) => r.id === leftover.id && r.port === leftover.port)
    if (belongs && program.autorestart !== 'false' && !known) outcome.restart.push({ id: leftover.id, port: leftover.port })
  }
  engine.removeStalePipes(new Set(outcome.adopted.flatMap((r) => [r.stdout_pipe, r.stderr_pipe ?? r.stdout_pipe])))
  return outcome
}

/**
 * Stop processes of this scope that no record named (the daemon died between a spawn and the
 * record's write). Only the top of each tree: a group leader whose parent is not marked too,
 * so a program's own child that made itself a group leader is left to its program.
 */
export async function stopUnrecorded(scope: string, adopted: ReadonlySet<number>): Promise<{ id: string; port: number }[]> {
  const marked = findMarkedProcesses(scope)
  const markedPids = new Set(marked.map((m) => m.pid))
  const leftovers = marked.filter((m) => m.pid === m.pgid && !adopted.has(m.pid) && !markedPids.has(m.ppid))
  await Promise.all(leftovers.map((m) => stopLeftover(m.pid, m.procStart, LEFTOVER_GRACE_MS)))
  return leftovers.map(({ id, port }) => ({ id, port }))
}
