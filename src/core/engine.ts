// The interface every supervision engine implements: the native one in this folder, and later
// one that drives a real supervisord. The program service above it never sees processes.
import type { Program } from '../schema/program.js'
import type { InstanceSnapshot, ProcessRecord } from './instance-spec.js'

export type { InstanceSnapshot, ProcessRecord }

/** A live process and the instance it belongs to. */
export interface LiveInstanceRecord extends ProcessRecord {
  readonly programId: string
  readonly port: number
}

export interface LogPaths {
  readonly stdout: string
  /** null when stderr is redirected into stdout. */
  readonly stderr: string | null
}

export interface ProcessEngine {
  /** What this engine's processes carry in HOODY_DAEMON_PROCESS, before /<id>/<port>. */
  readonly scope: string
  /** Make the engine run this program's current configuration from its next spawn on. */
  configure(program: Program): void
  /** Forget a program whose instances are all stopped. */
  forget(id: string): void
  /** Request a start of the given ports (every instance when undefined); answers once requested. */
  start(id: string, port?: number): Promise<void>
  /** Stop the given ports (every instance when undefined); resolves once they are stopped. */
  stop(id: string, port?: number): Promise<void>
  /** Stop then start, one command per instance. */
  restart(id: string, port?: number): Promise<void>
  /** Resolve once every given instance satisfies `done`, or at the deadline. */
  waitFor(id: string, port: number | undefined, done: (snapshot: InstanceSnapshot) => boolean, timeoutMs: number): Promise<InstanceSnapshot[]>
  /** A number that changes whenever any snapshot may have changed (for caches of derived views). */
  revision(): number
  /** The state of every instance of a program, ordered by port. */
  snapshots(id: string): InstanceSnapshot[]
  /** Where an instance's output goes. */
  logPaths(program: Program, port: number): LogPaths
  /** Receive every chunk written to a log path from now on (across rotations and restarts). */
  followLog(path: string, listener: (chunk: Buffer) => void): () => void
  /** Bytes completely written to a log path by a live writer; undefined when none writes it. */
  logWrittenSize(path: string): number | undefined
  /** Every live process, for the record the next daemon reads after a crash. */
  liveRecords(): LiveInstanceRecord[]
  /** Supervise a process of the previous run again; false when it is gone or cannot be followed. */
  adopt(id: string, port: number, record: ProcessRecord): Promise<boolean>
  /** Remove output FIFOs of earlier runs but those in `keep` (the adopted processes'). */
  removeStalePipes(keep: ReadonlySet<string>): void
  /** "running", or a sentence naming what is wrong with the engine. */
  health(): string
}
