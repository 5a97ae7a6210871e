// The face of the core that the API (and anything else outside) sees.
import type { LogsBody } from '../schema/logs.js'
import type { Program, ProgramAddBody, ProgramEditBody } from '../schema/program.js'
import type { QuickStartBody, QuickStartStatus } from '../schema/quick-start.js'
import type { ProgramStatus } from '../schema/status.js'
import type { ChunkSink, LogStream, StreamChoice } from './log-access.js'
import type { ProcessState } from './states.js'

export type { ChunkSink, LogStream, StreamChoice }

export interface StartOptions {
  readonly port?: number
  /** Wait for RUNNING (at most startsecs + 5 s); false answers at once. */
  readonly wait: boolean
}

export interface StopOptions {
  readonly port?: number
  readonly all?: boolean
}

export interface StartedInstance {
  readonly port: number
  readonly status: ProcessState
  readonly pid: number | null
}

export interface StartResult {
  readonly status: ProcessState
  readonly pid: number | null
  readonly port?: number
  readonly instances?: StartedInstance[]
}

export interface StopResult {
  /** Set when every instance of a port-range program was stopped (or `all` was asked). */
  readonly stoppedPorts?: number[]
}

export interface DisableResult {
  readonly wasRunning: boolean
  readonly actions: string[]
}

export interface ResetResult {
  readonly actions: string[]
  readonly count: number
}

export interface HealthChecks {
  readonly supervisor: string
  readonly config: string
}

export interface DaemonCore {
  listPrograms(): Program[]
  getProgram(id: string): Program
  addProgram(body: ProgramAddBody): Promise<Program>
  editProgram(id: string, patch: ProgramEditBody): Promise<Program>
  removeProgram(id: string): Promise<{ wasRunning: boolean }>
  reset(): Promise<ResetResult>
  enable(id: string): Promise<void>
  disable(id: string): Promise<DisableResult>
  start(id: string, options: StartOptions): Promise<StartResult>
  stop(id: string, options: StopOptions): Promise<StopResult>
  restart(id: string, options: StartOptions): Promise<StartResult>
  status(id: string): ProgramStatus
  /** The same array object until something in it changes. */
  statusAll(): readonly ProgramStatus[]
  logs(id: string, options: { lines: number; port?: number }): Promise<LogsBody>
  /** Backlog then live output; resolves with the function that stops following. */
  followLogs(id: string, options: { lines: number; port?: number; stream: StreamChoice }, sink: ChunkSink): Promise<() => void>
  health(): HealthChecks
}

export interface QuickStartCore {
  start(body: QuickStartBody): Promise<{ temporaryId: string; status: ProcessState; pid: number | null }>
  list(): QuickStartStatus[]
  status(id: string): QuickStartStatus
  wait(id: string, timeoutSeconds: number): Promise<QuickStartStatus & { finished: boolean }>
  /** Stop, delete logs and record; the actions performed. */
  stop(id: string): Promise<string[]>
  logs(id: string, lines: number): Promise<LogsBody>
  followLogs(id: string, options: { lines: number; stream: StreamChoice }, sink: ChunkSink): Promise<() => void>
}
