// The native engine: instances of programs, spawned and watched by this process.
import { join } from 'node:path'
import type { ChunkListener } from '../logs/log-file.js'
import { LogFiles } from '../logs/log-files.js'
import type { Program } from '../schema/program.js'
import { withPort } from './command-line.js'
import type { LiveInstanceRecord, LogPaths, ProcessEngine } from './engine.js'
import { FifoPool } from '../system/fifo-pool.js'
import { markerOf } from '../system/process-marker.js'
import { Instance, type InstanceDeps } from './instance.js'
import type { InstanceSnapshot, InstanceSpec, ProcessRecord } from './instance-spec.js'
import { instancePorts, SINGLE } from './ports.js'

export interface NativeEngineOptions {
  /** Default log folder: <data-dir>/logs. */
  readonly logDir: string
  /** Where programs' output FIFOs live (private to the daemon). */
  readonly pipeDir: string
  /** Where an earlier run may have left FIFOs: swept of those no live process uses. */
  readonly formerPipeDirs?: readonly string[]
  /** Names this engine's processes in their environment (HOODY_DAEMON_PROCESS=<scope>/<id>/<port>). */
  readonly scope: string
  /** A process appeared or went away: the record of live processes is due for a write. */
  readonly onLiveChange?: () => void
}


export class NativeEngine implements ProcessEngine {
  private readonly programs = new Map<string, Map<number, Instance>>()
  private readonly logDir: string
  readonly scope: string
  private readonly logFiles = new LogFiles()
  private changes = 0
  private readonly deps: InstanceDeps
  private readonly formerPipeDirs: readonly string[]

  constructor(options: NativeEngineOptions) {
    this.logDir = options.logDir
    this.formerPipeDirs = options.formerPipeDirs ?? []
    this.scope = options.scope
    const onLiveChange = options.onLiveChange ?? (() => undefined)
    this.deps = {
      logFiles: this.logFiles,
      pipes: new FifoPool(options.pipeDir),
      onChange: () => { this.changes++ },
      onLiveChange,
    }
  }

  /** Every live process of every instance, for the record the next daemon reads after a crash. */
  liveRecords(): LiveInstanceRecord[] {
    const records: LiveInstanceRecord[] = []
    for (const [programId, instances] of this.programs) {
      for (const [port, instance] of instances) {
        const record = instance.record()
        if (record !== null) records.push({ programId, port, ...record })
      }
    }
    return records
  }

  /** Supervise a process of the previous run again; false when it is gone or cannot be followed. */
  async adopt(programId: string, port: number, record: ProcessRecord): Promise<boolean> {
    const instance = this.programs.get(programId)?.get(port)
    return instance === undefined ? false : instance.adopt(record)
  }

  removeStalePipes(keep: ReadonlySet<string>): void {
    for (const path of this.deps.pipes.paths(this.formerPipeDirs)) {
      if (!keep.has(path)) this.deps.pipes.remove(path)
    }
  }

  configure(program: Program): void {
    this.changes++
    const existing = this.programs.get(program.id) ?? new Map<number, Instance>()
    const next = new Map<number, Instance>()
    for (const port of instancePorts(program.port_range)) {
      const spec = this.specFor(program, port)
      const instance = existing.get(port)
      if (instance === undefined) {
        next.set(port, new Instance(spec, this.deps))
      } else {
        instance.configure(spec)
        next.set(port, instance)
      }
    }
    for (const [port, instance] of existing) if (!next.has(port)) instance.dispose()
    this.programs.set(program.id, next)
  }

  forget(id: string): void {
    this.changes++
    for (const instance of this.instancesOf(id)) instance.dispose()
    this.programs.delete(id)
  }

  async start(id: string, port?: number): Promise<void> {
    await Promise.all(this.select(id, port).map((instance) => instance.start()))
  }

  async stop(id: string, port?: number): Promise<void> {
    await Promise.all(this.select(id, port).map((instance) => instance.stop()))
  }

  async restart(id: string, port?: number): Promise<void> {
    await Promise.all(this.select(id, port).map((instance) => instance.restart()))
  }

  async waitFor(id: string, port: number | undefined, done: (s: InstanceSnapshot) => boolean, timeoutMs: number): Promise<InstanceSnapshot[]> {
    // Each instance is read when it settles: one that failed early may be STARTING again later.
    return Promise.all(this.select(id, port).map(async (instance) => {
      let settled: InstanceSnapshot | undefined
      await instance.waitFor((_state, snapshot) => {
        if (done(snapshot)) settled = snapshot
        return settled !== undefined
      }, timeoutMs)
      return settled ?? instance.snapshot()
    }))
  }

  revision(): number {
    return this.changes
  }

  snapshots(id: string): InstanceSnapshot[] {
    return this.instancesOf(id).map((instance) => instance.snapshot())
  }

  logPaths(program: Program, port: number): LogPaths {
    const base = port === SINGLE ? program.id : `${program.id}-${port}`
    const configured = (path: string) => (port === SINGLE ? path : withPort(path, port))
    const stdout = program.stdout_logfile === '' ? join(this.logDir, `${base}.stdout.log`) : configured(program.stdout_logfile)
    if (program.redirect_stderr) return { stdout, stderr: null }
    const stderr = program.stderr_logfile === '' ? join(this.logDir, `${base}.stderr.log`) : configured(program.stderr_logfile)
    return { stdout, stderr }
  }

  followLog(path: string, listener: ChunkListener): () => void {
    return this.logFiles.follow(path, listener)
  }

  logWrittenSize(path: string): number | undefined {
    return this.logFiles.current(path)?.writtenSize
  }

  health(): string {
    const problems = this.logFiles.problems()
    return problems.length === 0 ? 'running' : `running; log writes failing: ${problems.join('; ')}`
  }

  private instancesOf(id: string): Instance[] {
    return [...(this.programs.get(id)?.values() ?? [])]
  }

  private select(id: string, port: number | undefined): Instance[] {
    const instances = this.instancesOf(id)
    return port === undefined ? instances : instances.filter((instance) => instance.port === port)
  }

  private specFor(program: Program, port: number): InstanceSpec {
    const sub = (text: string) => (port === SINGLE ? text : withPort(text, port))
    const logs = this.logPaths(program, port)
    return {
      programId: program.id,
      port,
      marker: markerOf(this.scope, program.id, port),
      command: sub(program.command),
      user: program.user,
      directory: sub(program.directory),
      environment: Object.fromEntries(Object.entries(program.environment).map(([k, v]) => [k, sub(v)])),
      stdout: { path: logs.stdout, policy: { maxBytes: program.stdout_logfile_maxbytes, backups: program.stdout_logfile_backups }, chosenByProgram: program.stdout_logfile !== '' },
      stderr: logs.stderr === null
        ? null
        : { path: logs.stderr, policy: { maxBytes: program.stderr_logfile_maxbytes, backups: program.stderr_logfile_backups }, chosenByProgram: program.stderr_logfile !== '' },
      logTimestamps: program.log_timestamps,
      startsecs: program.startsecs,
      startretries: program.startretries,
      stopwaitsecs: program.stopwaitsecs,
      stopsignal: program.stopsignal,
      autorestart: program.autorestart,
      exitcodes: program.exitcodes,
    }
  }
}
