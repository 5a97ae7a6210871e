// Turns an instance spec into a running child: checks what would make exec fail (so the
// reason can be named), then spawns it as the leader of its own process group.
import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { posixSpawner } from '../system/posix-spawn.js'
import { MARKER_VARIABLE } from '../system/process-marker.js'
import { parseCommand } from './command-line.js'
import { daemonIsRoot, findUserSync, isDaemonUser, type SystemUser } from './users.js'

export interface ProcessSpec {
  /** HOODY_DAEMON_PROCESS of the process: finds it after a crash even if no record names it. */
  readonly marker: string
  readonly command: string
  readonly user: string
  readonly directory: string
  readonly environment: Readonly<Record<string, string>>
}

/** A child the daemon spawned: its pid, and its end (reported once, after it has been reaped). */
export interface SpawnedChild {
  readonly pid: number
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void
}

export type SpawnOutcome =
  | { readonly ok: true; readonly child: SpawnedChild; readonly pid: number }
  | { readonly ok: false; readonly reason: string }

const SETPRIV = '/usr/bin/setpriv'

class SpawnRefused extends Error {}

function resolveUser(user: string): SystemUser | undefined {
  if (isDaemonUser(user)) return undefined
  const found = findUserSync(user)
  if (found === undefined) throw new SpawnRefused(`user '${user}' does not exist on this system`)
  if (!daemonIsRoot()) throw new SpawnRefused(`cannot run as user '${user}': the daemon is not running as root`)
  return found
}

function checkDirectory(directory: string): void {
  let isDirectory: boolean
  try {
    isDirectory = statSync(directory).isDirectory()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SpawnRefused(code === 'ENOENT'
      ? `directory '${directory}' does not exist`
      : `directory '${directory}' cannot be used: ${code ?? String(error)}`)
  }
  if (!isDirectory) throw new SpawnRefused(`directory '${directory}' is not a directory`)
}

function isExecutableFile(path: string): boolean {
  try {
    // No exception for a missing file: a PATH search misses in most folders, and an Error with
    // its stack per miss was most of the search's cost.
    if (statSync(path, { throwIfNoEntry: false })?.isFile() !== true) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

// execvp's search, done here so that a missing program is named instead of a bare ENOENT.
function resolveExecutable(file: string, cwd: string, path: string | undefined): string {
  if (file.includes('/')) {
    const full = isAbsolute(file) ? file : resolve(cwd, file)
    if (isExecutableFile(full)) return full
    throw new SpawnRefused(`executable '${file}' not found or not executable`)
  }
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(resolve(cwd, dir), file)
    if (isExecutableFile(candidate)) return candidate
  }
  throw new SpawnRefused(`executable '${file}' not found in PATH`)
}

// The daemon never changes its own environment; reading process.env (a view of C's environ)
// afresh for every spawn cost 0.1 ms each.
let daemonEnvironment: Readonly<Record<string, string>> | undefined

function buildEnvironment(spec: ProcessSpec, user: SystemUser | undefined): Record<string, string> {
  if (daemonEnvironment === undefined) {
    const copy: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) copy[key] = value
    daemonEnvironment = copy
  }
  const env: Record<string, string> = { ...daemonEnvironment }
  if (user !== undefined) {
    env.HOME = user.home
    env.USER = user.name
    env.LOGNAME = user.name
  }
  return Object.assign(env, spec.environment, { [MARKER_VARIABLE]: spec.marker })
}

function workingDirectory(spec: ProcessSpec, user: SystemUser | undefined): string {
  if (spec.directory !== '') return spec.directory
  if (user !== undefined) {
    try {
      if (statSync(user.home).isDirectory()) return user.home
    } catch {
      return '/'
    }
    return '/'
  }
  return process.cwd()
}

/**
 * What would stop a spawn before the program runs (user, working directory, executable), in the
 * words a failed spawn reports; undefined when nothing would. Engines that do not spawn
 * themselves (supervisord) explain a failed start with it.
 */
export function preSpawnProblem(spec: { user: string; directory: string; file: string; path: string | undefined }): string | undefined {
  try {
    resolveUser(spec.user)
    checkDirectory(spec.directory)
    resolveExecutable(spec.file, spec.directory, spec.path)
    return undefined
  } catch (error) {
    if (error instanceof SpawnRefused) return error.message
    throw error
  }
}

/**
 * Spawn: either a child exists when this resolves, or the reason it cannot. The child leads its
 * own session/process group (detached), so stop can signal -pgid. Register `onExit` without
 * yielding to the event loop after this resolves: until then a quick exit goes unreported.
 */
export async function spawnProcess(spec: ProcessSpec, output: { stdout: number; stderr: number }, options: { offload?: boolean } = {}): Promise<SpawnOutcome> {
  try {
    const user = resolveUser(spec.user)
    const cwd = workingDirectory(spec, user)
    checkDirectory(cwd)
    const env = buildEnvironment(spec, user)
    const parsed = parseCommand(spec.command)
    const executable = resolveExecutable(parsed.file, cwd, env.PATH)
    // Node drops supplementary groups when it switches uid; setpriv --init-groups keeps them and
    // then execs the program, so the PID is still the program's own.
    const [file, args] = user === undefined
      ? [executable, parsed.args]
      : [SETPRIV, [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', executable, ...parsed.args]]
    const argv0 = user === undefined ? parsed.file : SETPRIV
    // posix_spawn where glibc has it: no copy of the daemon's page tables (see posix-spawn.ts).
    const posix = posixSpawner()
    if (posix !== undefined) {
      const spawned = await posix.spawn({ file, argv: [argv0, ...args], env, cwd, stdout: output.stdout, stderr: output.stderr }, options)
      if ('error' in spawned) return { ok: false, reason: `cannot execute '${parsed.file}': ${spawned.error}` }
      const { pid } = spawned
      return { ok: true, pid, child: { pid, onExit: (listener) => { posix.watch(pid, (exit) => { listener(exit.code, exit.signal) }) } } }
    }
    const child = spawn(file, args, {
      argv0,
      cwd,
      env,
      detached: true,
      stdio: ['ignore', output.stdout, output.stderr],
    })
    if (child.pid === undefined) {
      // libuv reports exec errors through an 'error' event; keep it from becoming an uncaught one.
      child.once('error', () => undefined)
      return { ok: false, reason: `cannot execute '${parsed.file}'` }
    }
    const { pid } = child
    return { ok: true, pid, child: { pid, onExit: (listener) => { child.once('exit', listener) } } }
  } catch (error) {
    if (error instanceof SpawnRefused) return { ok: false, reason: error.message }
    if (error instanceof Error) return { ok: false, reason: error.message }
    return { ok: false, reason: String(error) }
  }
}
