// Start the real daemon binary on port 0 with a temp data dir, and talk to it over HTTP.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { waitFor } from './wait.js'
import { cleanup } from './cleanup.js'
import { runtimeDirsOf } from '../../src/system/runtime-dir.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(ROOT, 'dist', 'cli', 'hoody-daemon.js')
export const FIXTURES = join(ROOT, 'test', 'fixtures')

export interface Reply<T = any> {
  status: number
  body: T
  headers: Headers
}

export interface DaemonHandle {
  url: string
  base: string
  dataDir: string
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>
  get<T = any>(path: string): Promise<Reply<T>>
  post<T = any>(path: string, body?: unknown): Promise<Reply<T>>
  /** Add a program, failing the test when the daemon refuses. */
  add(program: Record<string, unknown>): Promise<any>
  /** SIGTERM the daemon and wait for it to exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface StartOptions {
  args?: string[]
  env?: Record<string, string | undefined>
  dataDir?: string
  token?: string
  /** Keep the data dir after the test (for restarts within one test). */
  keepDataDir?: boolean
}

export function tempDir(t: TestContext, prefix = 'hoody-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanup(t, () => {
    rmSync(dir, { recursive: true, force: true })
    // The FIFO folder on tmpfs a daemon on this data dir made, if it was killed before removing it.
    for (const runDir of runtimeDirsOf(dir)) rmSync(runDir, { recursive: true, force: true })
  })
  return dir
}

/** The engine the API suite runs on: HOODY_TEST_ENGINE=supervisord runs it against supervisord. */
export const TEST_ENGINE = process.env.HOODY_TEST_ENGINE ?? 'native'

/**
 * The `skip` option of a test that checks what the supervisord engine does differently, by
 * design and documented in docs/engines.md: skipped with that reason on supervisord only.
 */
export function nativeOnly(reason: string): { skip: string | false } {
  return { skip: TEST_ENGINE === 'supervisord' ? `supervisord engine: ${reason} (docs/engines.md)` : false }
}

export function spawnDaemon(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  // The bin itself, as users run it: its shebang carries the daemon's V8 flags.
  return spawn(BIN, args, {
    env: { ...process.env, HOODY_DAEMON_LOG_LEVEL: 'warn', HOODY_DAEMON_ENGINE: TEST_ENGINE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Run the daemon with `args` until it exits by itself (a refused start); SIGKILL after 10 s. */
export async function runToExit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawnDaemon(args, env)
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  const code = await exitOf(child)
  clearTimeout(timer)
  return { code, stderr }
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => { resolve(code) }))
}

export async function startDaemon(t: TestContext, options: StartOptions = {}): Promise<DaemonHandle> {
  const dataDir = options.dataDir ?? tempDir(t)
  const args = ['serve', '--port', '0', '--data-dir', dataDir, ...(options.token === undefined ? [] : ['--token', options.token]), ...(options.args ?? [])]
  const child = spawnDaemon(args, options.env)
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const code = await exitOf(child)
    clearTimeout(timer)
    return code
  }
  // Runs after the daemon stopped: a supervisord it left (the daemon was SIGKILLed) goes too.
  cleanup(t, () => stopPrivateSupervisord(dataDir))
  cleanup(t, () => stop())
  const url = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${err}`)
    return /listening on (\S+)/.exec(out)?.[1]
  }, { timeoutMs: 15_000, message: 'daemon to print listening' })
  const base = `${url}/api/v1/daemon`
  const auth: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { ...auth, ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      init.headers = { 'content-type': 'application/json', ...auth, ...headers }
    }
    const response = await fetch(`${base}${path}`, init)
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as any, headers: response.headers }
  }
  const handle: DaemonHandle = {
    url,
    base,
    dataDir,
    child,
    stdout: () => out,
    stderr: () => err,
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    async add(program) {
      const reply = await request('POST', '/programs/add', program)
      if (reply.status !== 201) throw new Error(`add failed: ${reply.status} ${JSON.stringify(reply.body)}`)
      return reply.body.program
    },
    stop,
  }
  return handle
}

/** Poll /status/{id} until `status` is reached; returns the status object. */
export async function waitForStatus(daemon: DaemonHandle, id: string, status: string | string[], timeoutMs = 10_000): Promise<any> {
  const wanted = Array.isArray(status) ? status : [status]
  return waitFor(async () => {
    const reply = await daemon.get(`/status/${id}`)
    return wanted.includes(reply.body.status) ? reply.body : undefined
  }, { timeoutMs, message: `${id} to reach ${wanted.join('|')}` })
}

function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/**
 * Stop the supervisord of a data dir (--engine supervisord) if one still runs: only the pid of
 * its pidfile, and only when its command line names this data dir's config. SIGTERM makes it
 * stop its programs; SIGKILL to its process group after 15 s.
 */
export async function stopPrivateSupervisord(dataDir: string): Promise<void> {
  const config = join(dataDir, 'supervisord', 'supervisord.conf')
  let pid: number
  try {
    pid = Number(readFileSync(join(dataDir, 'supervisord', 'supervisord.pid'), 'utf8').trim())
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(config)) return
  } catch {
    return
  }
  try { process.kill(pid, 'SIGTERM') } catch { return }
  const deadline = Date.now() + 15_000
  while (processAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  if (processAlive(pid)) {
    try { process.kill(-pid, 'SIGKILL') } catch { /* gone */ }
  }
}
