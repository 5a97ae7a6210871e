/**
 * The Hoody Daemon SDK: typed calls for every route of the HTTP API, with no runtime
 * dependency beyond `fetch`.
 *
 * @example
 * import { HoodyDaemonClient } from 'hoody-daemon/client'
 * const client = new HoodyDaemonClient({ baseUrl: 'http://127.0.0.1:7070', token: process.env.HOODY_DAEMON_TOKEN })
 * await client.daemon.programs.add({ name: 'web', command: 'node server.js', autorestart: true })
 * await client.daemon.control.start('web')
 * for await (const event of client.daemon.logs.follow('web')) if (event.type === 'line') console.log(event.line)
 *
 * @packageDocumentation
 */
import type { HealthBody } from '../schema/health.js'
import type { LogsBody } from '../schema/logs.js'
import type { Program, ProgramAddBody, ProgramEditBody } from '../schema/program.js'
import type { QuickStartBody, QuickStartStatus } from '../schema/quick-start.js'
import type {
  DisableAnswer, PlainAnswer, ProgramAnswer, QuickStartStarted, QuickStartStopped, QuickStartWaited,
  RemoveAnswer, ResetAnswer, StartAnswer, StopAnswer,
} from '../schema/responses.js'
import type { ProgramStatus } from '../schema/status.js'
import { readEvents, type LogEvent } from './events.js'
import { Transport, type TransportOptions } from './transport.js'

export { HoodyApiError, isHoodyApiError } from './errors.js'
export type { ClientErrorCode, FieldProblem, HoodyErrorCode } from './errors.js'
export type { LogDroppedEvent, LogEvent, LogLineEvent, LogReadyEvent } from './events.js'
export type {
  DisableAnswer, HealthBody, LogsBody, PlainAnswer, Program, ProgramAddBody, ProgramAnswer, ProgramEditBody, ProgramStatus,
  QuickStartBody, QuickStartStarted, QuickStartStatus, QuickStartStopped, QuickStartWaited, RemoveAnswer, ResetAnswer,
  StartAnswer, StopAnswer,
}
export type { ProcessState } from '../schema/status.js'

/** Options of {@link HoodyDaemonClient}. */
export interface HoodyDaemonClientOptions {
  /** Where the daemon listens, e.g. `http://127.0.0.1:7070`. */
  baseUrl: string
  /** The daemon's bearer token, when it has one. */
  token?: string | undefined
  /** Per-request timeout in milliseconds (default 30000); waiting calls add their own wait. */
  timeoutMs?: number | undefined
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch | undefined
}

/** Which instance(s) a control call addresses, and whether to wait for RUNNING. */
export interface StartOptions {
  /** One port of a port-range program; omitted = every instance. */
  port?: number
  /** false answers at once (STARTING) instead of waiting for RUNNING. Default true. */
  wait?: boolean
}

/** Which instance(s) to stop. */
export interface StopOptions {
  port?: number
  /** Stop every instance and report `stopped_ports`. */
  all?: boolean
}

/** Which lines to read. */
export interface LogsOptions {
  /** How many lines from the end (1–10000, default 100). */
  lines?: number
  /** One port of a port-range program. */
  port?: number
}

/** What to follow. */
export interface FollowOptions {
  /** stdout, stderr or both (default). */
  stream?: 'stdout' | 'stderr' | 'both'
  /** Lines of backlog first (0–10000, default 10). */
  lines?: number
  port?: number
  /** Abort to stop following. Breaking out of the `for await` loop stops it too. */
  signal?: AbortSignal
}

// Calls that wait on the daemon (start, stop, restart, disable, remove, reset) may take as long
// as programs take to start or stop: they get this timeout instead of timeoutMs.
const WAIT_ALLOWANCE_MS = 3_600_000

function startBody(options: StartOptions): { port?: number } {
  return options.port === undefined ? {} : { port: options.port }
}

async function* follow(transport: Transport, path: string, options: FollowOptions): AsyncGenerator<LogEvent> {
  if (options.signal?.aborted === true) return
  const controller = new AbortController()
  const abort = () => { controller.abort() }
  options.signal?.addEventListener('abort', abort, { once: true })
  try {
    const response = await transport.stream(path, { stream: options.stream, lines: options.lines, port: options.port }, controller.signal)
    if (response.body === null) return
    try {
      yield* readEvents(response.body)
    } catch (error) {
      if (!controller.signal.aborted) throw error
    }
  } finally {
    options.signal?.removeEventListener('abort', abort)
    controller.abort()
  }
}

function programsApi(t: Transport) {
  return {
    /** Every program, ordered by priority then id. */
    list: () => t.request<Program[]>('GET', '/programs'),
    /** One program. Throws PROGRAM_NOT_FOUND. */
    get: (id: string) => t.request<Program>('GET', `/programs/${encodeURIComponent(id)}`),
    /** Register a program; every field but name and command has a default. */
    add: (body: ProgramAddBody) => t.request<ProgramAnswer>('POST', '/programs/add', { body }),
    /** Change some fields of a stopped program. Throws PROGRAM_RUNNING while it runs. */
    edit: (id: string, patch: ProgramEditBody) => t.request<ProgramAnswer>('POST', `/programs/edit/${encodeURIComponent(id)}`, { body: patch }),
    /** Stop every instance, then remove the program. */
    /** Waits for the stop, so it gets the long allowance of waiting calls. */
    remove: (id: string) => t.request<RemoveAnswer>('POST', `/programs/remove/${encodeURIComponent(id)}`, { body: {}, timeoutMs: WAIT_ALLOWANCE_MS }),
    /** Stop and remove every program, then load the daemon's defaults file. */
    reset: () => t.request<ResetAnswer>('POST', '/programs/reset', { body: {}, timeoutMs: WAIT_ALLOWANCE_MS }),
  }
}

function controlApi(t: Transport) {
  const path = (id: string, action: string) => `/programs/${encodeURIComponent(id)}/${action}`
  return {
    enable: (id: string) => t.request<PlainAnswer>('POST', path(id, 'enable'), { body: {} }),
    /** Disable, stopping it if it runs. */
    disable: (id: string) => t.request<DisableAnswer>('POST', path(id, 'disable'), { body: {}, timeoutMs: WAIT_ALLOWANCE_MS }),
    /** Start (by default waiting for RUNNING). Throws SPAWN_ERROR, PROGRAM_DISABLED, INVALID_PORT. */
    start: (id: string, options: StartOptions = {}) =>
      t.request<StartAnswer>('POST', path(id, 'start'), { body: startBody(options), query: { wait: options.wait }, timeoutMs: WAIT_ALLOWANCE_MS }),
    /** Stop and wait until no process of it is left. */
    stop: (id: string, options: StopOptions = {}) =>
      t.request<StopAnswer>('POST', path(id, 'stop'), { body: { ...startBody(options), ...(options.all === undefined ? {} : { all: options.all }) }, timeoutMs: WAIT_ALLOWANCE_MS }),
    /** Stop then start. */
    restart: (id: string, options: StartOptions = {}) =>
      t.request<StartAnswer>('POST', path(id, 'restart'), { body: startBody(options), query: { wait: options.wait }, timeoutMs: WAIT_ALLOWANCE_MS }),
  }
}

function statusApi(t: Transport) {
  return {
    /** The status of every program. */
    list: () => t.request<ProgramStatus[]>('GET', '/status'),
    /** One program's status (with `instances` for a port-range program). */
    get: (id: string) => t.request<ProgramStatus>('GET', `/status/${encodeURIComponent(id)}`),
  }
}

function logsApi(t: Transport) {
  return {
    /** The last lines of stdout and stderr. */
    get: (id: string, options: LogsOptions = {}) => t.request<LogsBody>('GET', `/programs/${encodeURIComponent(id)}/logs`, { query: { lines: options.lines, port: options.port } }),
    /** Backlog, then every new line as it is written: `for await (const event of …)`. */
    follow: (id: string, options: FollowOptions = {}) => follow(t, `/programs/${encodeURIComponent(id)}/logs/stream`, options),
  }
}

function quickStartApi(t: Transport) {
  const path = (id: string, rest: string) => `/quick-start/${encodeURIComponent(id)}/${rest}`
  return {
    /** Run a one-off program; answers with its `temporary_id`. */
    start: (body: QuickStartBody) => t.request<QuickStartStarted>('POST', '/quick-start', { body }),
    /** Every quick-start of this daemon run, finished ones included. */
    list: () => t.request<QuickStartStatus[]>('GET', '/quick-start'),
    status: (id: string) => t.request<QuickStartStatus>('GET', path(id, 'status')),
    logs: (id: string, options: { lines?: number } = {}) => t.request<LogsBody>('GET', path(id, 'logs'), { query: { lines: options.lines } }),
    follow: (id: string, options: Omit<FollowOptions, 'port'> = {}) => follow(t, path(id, 'logs/stream'), options),
    /** Stop it and delete its logs and record. */
    stop: (id: string) => t.request<QuickStartStopped>('POST', path(id, 'stop'), { body: {}, timeoutMs: WAIT_ALLOWANCE_MS }),
    /** Resolve once it exits (`finished: true`) or after `timeoutSeconds` (default 300). */
    wait: (id: string, options: { timeoutSeconds?: number } = {}) =>
      t.request<QuickStartWaited>('GET', path(id, 'wait'), {
        query: { timeout: options.timeoutSeconds },
        // The daemon answers after at most timeoutSeconds; the client waits that long plus its usual timeout.
        timeoutMs: (options.timeoutSeconds ?? 300) * 1000 + t.timeoutMs,
      }),
  }
}

/** Typed access to one Hoody Daemon over HTTP. */
export class HoodyDaemonClient {
  /** The daemon's API, grouped as the routes are. */
  readonly daemon: {
    readonly programs: ReturnType<typeof programsApi>
    readonly control: ReturnType<typeof controlApi>
    readonly status: ReturnType<typeof statusApi>
    readonly logs: ReturnType<typeof logsApi>
    readonly quickStart: ReturnType<typeof quickStartApi>
    /** Liveness and checks; never needs a token. Resolves also when unhealthy (HTTP 503). */
    health: () => Promise<HealthBody>
  }

  /** The daemon's base URL, without a trailing slash. */
  readonly baseUrl: string

  constructor(options: HoodyDaemonClientOptions) {
    const transportOptions: TransportOptions = { baseUrl: options.baseUrl, token: options.token, timeoutMs: options.timeoutMs, fetch: options.fetch }
    const transport = new Transport(transportOptions)
    this.baseUrl = transport.baseUrl
    this.daemon = {
      programs: programsApi(transport),
      control: controlApi(transport),
      status: statusApi(transport),
      logs: logsApi(transport),
      quickStart: quickStartApi(transport),
      // 503 still carries the health body: it is an answer, not an error.
      health: () => transport.request<HealthBody>('GET', '/health', { alsoOk: [503] }),
    }
  }
}
