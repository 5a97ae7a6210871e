// The composition root: config → store → engine → program service → HTTP app → listen.
// The only module that listens, handles signals and exits.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './api/app.js'
import { boot, shutdown } from './core/boot.js'
import { NativeEngine } from './core/native-engine.js'
import { ProgramService } from './core/program-service.js'
import { QuickStartService } from './core/quick-start-service.js'
import type { DaemonConfig } from './config.js'
import { DefaultsFile } from './store/defaults-file.js'
import { EphemeralStore } from './store/ephemeral-store.js'
import { acquirePidLock } from './store/pid-lock.js'
import { ProgramsStore } from './store/programs-store.js'
import { VERSION } from './version.js'

export interface RunningDaemon {
  readonly app: FastifyInstance
  readonly url: string
  /** Stop every program (descending priority), close the API. */
  close(): Promise<void>
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

export async function startDaemon(config: DaemonConfig): Promise<RunningDaemon> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const logDir = join(config.dataDir, 'logs')
  await mkdir(logDir, { recursive: true, mode: 0o750 })
  const lock = await acquirePidLock(join(config.dataDir, 'daemon.pid'))

  const store = new ProgramsStore(join(config.dataDir, 'programs.json'))
  let service: ProgramService
  let engine: NativeEngine
  try {
    const stored = await store.load()
    const defaults = config.defaultsFile === undefined ? undefined : new DefaultsFile(config.defaultsFile)
    engine = new NativeEngine({ logDir })
    service = new ProgramService({ engine, repository: store, programs: stored ?? [], defaults })
    // A bad defaults file is an error at start, even when programs.json already exists.
    await service.checkDefaults()
    if (stored === null && defaults !== undefined) await service.loadDefaults()
  } catch (error) {
    await lock.release()
    throw error
  }
  // Quick-starts get an engine of their own: their ids can never collide with a program's.
  const quickStart = new QuickStartService({ engine: new NativeEngine({ logDir }), repository: new EphemeralStore(join(config.dataDir, 'ephemeral.json')) })
  await quickStart.cleanUpLeftovers()
  const app = await buildApp({
    core: service,
    quickStart,
    version: VERSION,
    token: config.token,
    logger: { level: config.logLevel, stream: process.stderr },
  })

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
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    // Nothing we booted may outlive a daemon that never came up.
    closing = true
    bootAbort.abort()
    await shutdown(service)
    await booted
    await lock.release()
    throw error
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const url = urlOf(config.host, port)

  return {
    app,
    url,
    async close() {
      if (closing) return
      closing = true
      bootAbort.abort()
      const closed = app.close()
      await Promise.all([shutdown(service), quickStart.shutdown()])
      await Promise.all([closed, booted])
      await lock.release()
    },
  }
}
