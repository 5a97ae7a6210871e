// What an instance is asked to run (InstanceSpec), what it reports (InstanceSnapshot) and what a
// later daemon needs to find its process again (ProcessRecord). Apart from instance.ts, so that
// the modules it uses (spawn-attempt.ts) and those reading it (status, engines) need not import it.
import type { RotationPolicy } from '../logs/log-file.js'
import type { Autorestart, StopSignal } from '../schema/program.js'
import type { ProcessSpec } from './spawner.js'
import type { ProcessState } from './states.js'

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

/** What the next daemon needs to find and supervise a process again after a crash. */
export interface ProcessRecord {
  readonly pid: number
  /** Start time from /proc (clock ticks since boot): with the pid, names this very process. */
  readonly procStart: string
  readonly startedAt: number
  /** The output FIFOs; stderr null when it goes into stdout's. */
  readonly stdoutPipe: string
  readonly stderrPipe: string | null
}
