// What every process manager under test offers the scenarios.

export interface BenchProgram {
  readonly name: string
  /** argv: the program and its arguments. */
  readonly argv: readonly string[]
  /** Where its stdout should go, when the scenario reads it back. */
  readonly stdoutFile?: string
}

export interface ManagerStatus {
  readonly name: string
  readonly running: boolean
  readonly pid: number | null
}

export interface Manager {
  readonly label: string
  /** Start the manager itself (daemon, supervisord, PM2 daemon). */
  up(): Promise<void>
  /** Stop the manager and everything it started; resolves once no process of it is left. */
  down(): Promise<void>
  /** Register the programs and start them (the manager's own way). */
  startAll(programs: readonly BenchProgram[]): Promise<void>
  /** Stop every program (not the manager). */
  stopAll(programs: readonly BenchProgram[]): Promise<void>
  /** The manager's own view of its programs. */
  status(): Promise<ManagerStatus[]>
  /** One request to the manager's status API, for throughput (P3). */
  statusRequest?: { url: string; method: 'GET' | 'POST'; body?: string; headers?: Record<string, string> }
  /** The last 100 lines of a program's stdout through the manager's own API or tool (P6). */
  tail?(program: BenchProgram, lines: number): Promise<string>
  /** The manager's own process ids (for RSS/CPU). */
  managerPids(): number[]
}
