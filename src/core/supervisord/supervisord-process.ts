// The daemon's own supervisord: its config, socket, pidfile and logs under <data-dir>/supervisord/.
// It runs with nodaemon=true as a child of the daemon, in a session of its own, so a crash of the
// daemon (or a Ctrl-C to its terminal) leaves it running: the next daemon reconnects to it
// through the pidfile and socket. It never reads /etc/supervisor or touches a system supervisord.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { EngineError } from '../../errors.js'
import { isRunningProcess, processStartTime } from '../../system/proc-identity.js'
import { signalGroup } from '../kill.js'
import { commandWord, writeAtomic } from './config-writer.js'
import { pythonOf, RELAY_GROUP, writeRelayScript } from './event-relay.js'
import { XmlRpcClient } from './xmlrpc-client.js'

/** A unix socket path longer than this does not fit sockaddr_un. */
const MAX_SOCKET_PATH = 107
const START_TIMEOUT_MS = 20_000
const SHUTDOWN_TIMEOUT_MS = 30_000
const WATCH_MS = 500

export interface SupervisordPaths {
  readonly dir: string
  readonly config: string
  readonly includeDir: string
  readonly socket: string
  readonly pidfile: string
  readonly logfile: string
  /** supervisord's own stdout/stderr (start-up errors). */
  readonly outfile: string
  /** The event relay: its script, the FIFO it writes to, its stderr. */
  readonly relayScript: string
  readonly events: string
  readonly relayLog: string
}

export function supervisordPaths(dir: string): SupervisordPaths {
  return {
    dir,
    config: join(dir, 'supervisord.conf'),
    includeDir: join(dir, 'programs'),
    socket: join(dir, 'supervisor.sock'),
    pidfile: join(dir, 'supervisord.pid'),
    logfile: join(dir, 'supervisord.log'),
    outfile: join(dir, 'supervisord.out'),
    relayScript: join(dir, 'event-relay.py'),
    events: join(dir, 'events.fifo'),
    relayLog: join(dir, 'event-relay.log'),
  }
}

/** supervisord on PATH (as execvp would find it), or undefined. */
export function findSupervisord(path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, 'supervisord')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

const ini = (text: string) => text.replaceAll('%', '%%')

/** The main config: only our socket, our logs, our include dir (relative: a dir with spaces stays one glob). */
export function renderMainConfig(paths: SupervisordPaths, identifier: string, python: string): string {
  return `; written by hoody-daemon at every start; edits are overwritten
[unix_http_server]
file=${ini(paths.socket)}
chmod=0700

[supervisord]
logfile=${ini(paths.logfile)}
logfile_maxbytes=10MB
logfile_backups=2
loglevel=info
pidfile=${ini(paths.pidfile)}
childlogdir=${ini(paths.dir)}
identifier=${identifier}
nodaemon=true
silent=true
minfds=1024

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[eventlistener:${RELAY_GROUP}]
command=${[python, paths.relayScript, paths.events].map(commandWord).join(' ')}
events=PROCESS_STATE
autostart=true
autorestart=true
startsecs=0
stdout_logfile=NONE
stderr_logfile=${ini(paths.relayLog)}
stderr_logfile_maxbytes=1MB
stderr_logfile_backups=1

[include]
files = programs/*.conf
`
}

function readPid(pidfile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function tailOf(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-5).join(' | ')
  } catch {
    return ''
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface SupervisordProcessOptions {
  readonly dir: string
  /** supervisord's `identifier`: tells our supervisord from any other on the socket. */
  readonly identifier: string
  /** Called once when the running supervisord goes away without being asked to. */
  readonly onExit: (reason: string) => void
}

export class SupervisordProcess {
  readonly paths: SupervisordPaths
  readonly client: XmlRpcClient
  private readonly identifier: string
  private readonly onExit: (reason: string) => void
  private watched: { pid: number; start: string } | null = null
  private watch: NodeJS.Timeout | null = null
  private stopping = false

  constructor(options: SupervisordProcessOptions) {
    this.paths = supervisordPaths(options.dir)
    this.identifier = options.identifier
    this.onExit = options.onExit
    if (Buffer.byteLength(this.paths.socket) > MAX_SOCKET_PATH) {
      throw new EngineError(`the supervisord socket path '${this.paths.socket}' is longer than ${MAX_SOCKET_PATH} bytes; use a shorter --data-dir`)
    }
    this.client = new XmlRpcClient({ socketPath: this.paths.socket, timeoutMs: 10_000 })
  }

  /** The pid of the supervisord we drive, or null. */
  get pid(): number | null {
    return this.watched?.pid ?? null
  }

  /** Reconnect to our supervisord if it still runs (a daemon crash), else start a new one. */
  async open(binary: string, beforeStart: () => Promise<unknown>): Promise<'reconnected' | 'started'> {
    mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 })
    mkdirSync(this.paths.includeDir, { recursive: true, mode: 0o700 })
    writeRelayScript(this.paths.relayScript)
    writeAtomic(this.paths.config, renderMainConfig(this.paths, this.identifier, pythonOf(binary)))
    if (await this.reconnect()) return 'reconnected'
    await beforeStart()
    await this.start(binary)
    return 'started'
  }

  /** Is the pidfile's process alive and is it ours (identifier over our socket)? */
  private async reconnect(): Promise<boolean> {
    const pid = readPid(this.paths.pidfile)
    const start = pid === undefined ? null : processStartTime(pid)
    if (pid === undefined || start === null) return false
    try {
      if ((await this.client.call('supervisor.getIdentification')) !== this.identifier) return false
    } catch {
      // A supervisord of ours that does not answer is hung: replace it (its programs are stopped by the engine).
      if (this.isOurs(pid)) signalGroup(pid, 'SIGKILL')
      return false
    }
    this.watchPid(pid, start)
    return true
  }

  private isOurs(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(this.paths.config)
    } catch {
      return false
    }
  }

  private async start(binary: string): Promise<void> {
    const out = openSync(this.paths.outfile, 'a', 0o600)
    let child: ChildProcess
    try {
      // Its own session: signals to the daemon's process group (a terminal's Ctrl-C) do not reach it.
      // supervisord (nodaemon) keeps the umask it is spawned with and creates the log files: 027
      // gives them mode 0640 like the native engine's. Each program gets the daemon's umask back
      // through its section's `umask=`.
      const umask = process.umask(0o027)
      try {
        child = spawn(binary, ['-c', this.paths.config], { cwd: this.paths.dir, detached: true, stdio: ['ignore', out, out] })
      } finally {
        process.umask(umask)
      }
    } finally {
      closeSync(out)
    }
    const outcome: { exited: string | null } = { exited: null }
    child.once('error', (error) => { outcome.exited = error.message })
    child.once('exit', (code, signal) => { outcome.exited = signal === null ? `exited with status ${code ?? 0}` : `was killed by ${signal}` })
    const deadline = Date.now() + START_TIMEOUT_MS
    for (;;) {
      const { exited } = outcome
      if (exited !== null) throw new EngineError(`supervisord (${binary}) ${exited} at start: ${tailOf(this.paths.outfile) || tailOf(this.paths.logfile)}`)
      try {
        const state = await this.client.call('supervisor.getState', [], 2000) as { statecode?: number }
        if (state.statecode === 1) break
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new EngineError(`supervisord did not come up within ${START_TIMEOUT_MS / 1000} s: ${tailOf(this.paths.logfile)}`)
      }
      await delay(50)
    }
    const pid = child.pid ?? 0
    this.watched = { pid, start: processStartTime(pid) ?? '' }
    child.removeAllListeners('exit')
    child.once('exit', (code, signal) => {
      this.lost(signal === null ? `supervisord exited with status ${code ?? 0}` : `supervisord was killed by ${signal}`)
    })
  }

  /** A supervisord we did not spawn (it outlived the previous daemon): no exit event, so poll /proc. */
  private watchPid(pid: number, start: string): void {
    this.watched = { pid, start }
    this.watch = setInterval(() => {
      if (isRunningProcess(pid, start)) return
      this.lost('supervisord exited (it was started by an earlier run of the daemon)')
    }, WATCH_MS)
  }

  private lost(reason: string): void {
    if (this.watch !== null) clearInterval(this.watch)
    this.watch = null
    this.watched = null
    if (!this.stopping) this.onExit(reason)
  }

  /** Start a fresh supervisord after the last one died. */
  async restart(binary: string): Promise<void> {
    this.stopping = false
    await this.start(binary)
  }

  /** Ask supervisord to shut down (it stops what still runs), wait for it; SIGKILL at the deadline. */
  async shutdown(): Promise<void> {
    this.stopping = true
    const watched = this.watched
    if (this.watch !== null) clearInterval(this.watch)
    this.watch = null
    if (watched === null) return
    try {
      await this.client.call('supervisor.shutdown')
    } catch {
      signalGroup(watched.pid, 'SIGTERM')
    }
    // Our own child is gone when Node reaps it (the exit handler clears `watched`); another is looked up in /proc.
    const alive = () => this.watched !== null && isRunningProcess(watched.pid, watched.start)
    const deadline = Date.now() + SHUTDOWN_TIMEOUT_MS
    while (alive() && Date.now() < deadline) await delay(20)
    if (alive()) signalGroup(watched.pid, 'SIGKILL')
    this.watched = null
  }
}
