// The composition root: config → store → engine → program service → HTTP app → listen.
// The only module that listens, handles signals and exits.
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp, LOG_REDACT_PATHS } from './api/app.js'
import { adoptPrevious, ProcessRecorder, storedProcesses } from './core/adoption.js'
import { boot, shutdown } from './core/boot.js'
import type { ProcessEngine } from './core/engine.js'
import { NativeEngine } from './core/native-engine.js'
import { SupervisordEngine } from './core/supervisord/supervisord-engine.js'
import { ProgramService } from './core/program-service.js'
import { QuickStartService } from './core/quick-start-service.js'
import type { DaemonConfig } from './config.js'
import { prepareDataDir } from './store/data-dir.js'
import { DefaultsFile } from './store/defaults-file.js'
import { EphemeralStore } from './store/ephemeral-store.js'
import { acquirePidLock } from './store/pid-lock.js'
import { ProcessRecordStore } from './store/process-records.js'
import { ProgramsStore } from './store/programs-store.js'
import { removeEmptyRuntimeDirs, tmpfsRuntimeDir } from './system/runtime-dir.js'
import { startZombieReaper } from './system/zombie-reaper.js'
import { loadTls } from './tls.js'
import { VERSION } from './version.js'

export interface RunningDaemon {
  readonly app: FastifyInstance
  readonly url: string
  /** Stop every program (descending priority), close the API. */
  close(): Promise<void>
}

function urlOf(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** A native engine for one side of the daemon (`programs` or `quick-start`), its FIFOs and marker scope its own. */
function nativeEngine(dataDir: string, logDir: string, runDir: string, name: string, onLiveChange?: () => void): NativeEngine {
  // The scope tells this data dir's processes from those of another daemon on the machine.
  const scope = `${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}.${name}`
  const diskPipeDir = join(dataDir, 'run', name)
  const pipeDir = join(runDir, name)
  return new NativeEngine({ logDir, pipeDir, formerPipeDirs: pipeDir === diskPipeDir ? [] : [diskPipeDir], scope, onLiveChange })
}

/** An engine whose live processes are recorded in `file` of the data dir, for adoption after a crash. */
function recordedEngine(dataDir: string, logDir: string, runDir: string, name: string, file: string, problems: { report: (file: string, error: unknown) => void }) {
  const records = new ProcessRecordStore(join(dataDir, file))
  // The engine spawns nothing before it is handed out, so the recorder exists by its first change.
  const engine = nativeEngine(dataDir, logDir, runDir, name, () => { recorder.changed() })
  const recorder = new ProcessRecorder({ repository: records, current: () => storedProcesses(engine), onError: (error) => { problems.report(file, error) } })
  return { engine, records, recorder }
}

export async function startDaemon(config: DaemonConfig): Promise<RunningDaemon> {
  // Bad TLS files stop the start before anything is created or locked.
  const tls = config.tls === undefined ? undefined : await loadTls(config.tls)
  const dataDir = await prepareDataDir(config.dataDir)
  const { logDir } = dataDir
  const lock = await acquirePidLock(join(config.dataDir, 'daemon.pid'))
  // Earlier builds recorded quick-starts' live processes there; nothing reads it any more.
  await rm(join(config.dataDir, 'quick-start-processes.json'), { force: true })
  // On the way out (a clean stop or a refused start): the lock, and the FIFO folders once empty.
  const releaseDataDir = async () => {
    removeEmptyRuntimeDirs(config.dataDir, ['programs', 'quick-start'])
    await lock.release()
  }

  const store = new ProgramsStore(join(config.dataDir, 'programs.json'))
  // Live-process changes are recorded from the first spawn on, before the logger exists.
  const recordProblem = { report: (file: string, error: unknown) => { process.stderr.write(`hoody-daemon: cannot write ${file}: ${String(error)}\n`) } }
  // FIFOs in memory when a private tmpfs folder can be had (see runtime-dir.ts), else on disk.
  const runDir = tmpfsRuntimeDir(config.dataDir) ?? join(config.dataDir, 'run')
  const programsSide = recordedEngine(config.dataDir, logDir, runDir, 'programs', 'processes.json', recordProblem)
  // Quick-starts are never adopted (a crashed run's are cleaned up through ephemeral.json and the
  // process marker), so their live processes need no record.
  const quickStartEngine = nativeEngine(config.dataDir, logDir, runDir, 'quick-start')
  // With --engine supervisord the programs run under a private supervisord; the native engine
  // of the programs side then only cleans up what a native run may have left (see adoption below).
  const engineLog = { write: (level: 'info' | 'warn' | 'error', message: string) => { process.stderr.write(`hoody-daemon: ${level}: ${message}\n`) } }
  let supervisord: SupervisordEngine | undefined
  let reconnected = false
  if (config.engine === 'supervisord') {
    supervisord = new SupervisordEngine({
      dir: join(config.dataDir, 'supervisord'),
      logDir,
      scope: `${createHash('sha256').update(config.dataDir).digest('hex').slice(0, 16)}.supervisord`,
      log: (level, message) => { engineLog.write(level, message) },
    })
    try {
      reconnected = (await supervisord.open()) === 'reconnected'
    } catch (error) {
      await releaseDataDir()
      throw error
    }
  }
  const engine: ProcessEngine = supervisord ?? programsSide.engine
  let service: ProgramService
  try {
    const stored = await store.load()
    const defaults = config.defaultsFile === undefined ? undefined : new DefaultsFile(config.defaultsFile)
    service = new ProgramService({ engine, repository: store, programs: stored ?? [], defaults, reserved: { dataDir: config.dataDir, logDir } })
    // A bad defaults file is an error at start, even when programs.json already exists.
    await service.checkDefaults()
    if (stored === null && defaults !== undefined) await service.loadDefaults()
    // Every program is configured: supervisord may now load them (and drop programs removed meanwhile).
    await supervisord?.activate()
  } catch (error) {
    await supervisord?.close()
    await releaseDataDir()
    throw error
  }
  // Quick-starts get an engine of their own: their ids can never collide with a program's.
  const quickStart = new QuickStartService({ engine: quickStartEngine, repository: new EphemeralStore(join(config.dataDir, 'ephemeral.json')) })
  const app = await buildApp({
    core: service,
    quickStart,
    version: VERSION,
    token: config.token,
    https: tls === undefined ? undefined : { cert: tls.cert, key: tls.key },
    logger: { level: config.logLevel, stream: process.stderr, redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } },
  })
  for (const { path, from, to } of dataDir.tightened) {
    app.log.warn({ path, mode_was: from.toString(8), mode: to.toString(8) }, `tightened the mode of ${path} from ${from.toString(8)} to ${to.toString(8)}: others could read the daemon's secrets`)
  }
  for (const warning of [...dataDir.warnings, ...(tls?.warnings ?? [])]) app.log.warn(warning)
  // As a container's PID 1 the daemon is every orphan's parent: it must reap them.
  const reaper = await startZombieReaper()
  if (reaper !== undefined) app.log.info('running as PID 1: orphaned processes are reaped by the daemon')
  recordProblem.report = (file, error) => { app.log.error({ err: error }, `cannot write the record of live processes (${file})`) }
  engineLog.write = (level, message) => { app.log[level]({ engine: 'supervisord' }, message) }
  if (reconnected) app.log.warn({ engine: 'supervisord' }, 'the last run did not shut its supervisord down: reconnected to it, its programs go on running')

  // Processes of a previous run that ended without stopping them (a crash, SIGKILL, OOM) are
  // supervised again; see docs/RELIABILITY.md. Its quick-starts are leftovers: cleaned up.
  const previous = await programsSide.records.load().catch((error: unknown) => {
    app.log.error({ err: error }, 'the record of the last run\'s processes is unreadable: its processes, if any, are not adopted')
    return []
  })
  // Adoption is the native engine's: with supervisord, the native records (of an earlier native
  // run) are stopped and restarted under supervisord, and supervisord's own programs were
  // adopted by reconnecting to it (SupervisordEngine.open).
  const adoption = await adoptPrevious({ engine: programsSide.engine, records: previous, programOf: (id) => service.enabledProgram(id) })
  const quickStartsCleaned = await quickStart.cleanUpLeftovers()
  await programsSide.recorder.flush()
  if (adoption.adopted.length + adoption.stopped.length + adoption.restart.length > 0) {
    app.log.warn({ adopted: adoption.adopted.length, stopped: adoption.stopped.length, restarted: adoption.restart.length },
      `the last run did not stop its programs: adopted ${adoption.adopted.length} running processes, stopped ${adoption.stopped.length}, restarting ${adoption.restart.length} that died meanwhile`)
  }
  if (quickStartsCleaned > 0) app.log.warn({ quick_starts: quickStartsCleaned }, `cleaned up ${quickStartsCleaned} quick-starts left by the last run`)
  for (const { id, port } of adoption.restart) {
    engine.start(id, port === 0 ? undefined : port).catch((error: unknown) => { app.log.error({ err: error, program: id }, 'restart after adoption failed') })
  }

  let closing = false
  const bootAbort = new AbortController()
  // Boot runs beside the API: the first priority group is already STARTING when we listen.
  const booted = boot({
    service,
    engine,
    signal: bootAbort.signal,
    onError: (program, error) => { app.log.error({ err: error, program: program.id }, 'boot start failed') },
  })

  try {
    // A deployment script may open hundreds of connections at once; Node's default backlog is 511.
    await app.listen({ host: config.host, port: config.port, backlog: 4096 })
  } catch (error) {
    // Nothing we booted may outlive a daemon that never came up.
    closing = true
    bootAbort.abort()
    await shutdown(service)
    await booted
    await supervisord?.close()
    reaper?.stop()
    await releaseDataDir()
    throw error
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const url = urlOf(tls === undefined ? 'http' : 'https', config.host, port)

  return {
    app,
    url,
    async close() {
      if (closing) return
      closing = true
      bootAbort.abort()
      const closed = app.close()
      await Promise.all([shutdown(service), quickStart.shutdown()])
      await Promise.all([closed, booted, programsSide.recorder.flush()])
      await supervisord?.close()
      reaper?.stop()
      await releaseDataDir()
    },
  }
}
