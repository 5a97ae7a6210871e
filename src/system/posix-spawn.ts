// Spawning through glibc's posix_spawn instead of Node's child_process. libuv forks: the kernel
// copies the daemon's page tables on every spawn, so a spawn costs more the more memory the
// daemon holds (and half of the daemon's CPU while it started 1000 programs went there, see
// docs/BENCHMARKS.md). glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK): nothing is
// copied, and an exec failure is reported as the call's result.
//
// Such children are not libuv's: their exit is collected here, with waitpid on each of them
// when a SIGCHLD arrives (libuv waits only for its own pids, so neither steals the other's).
// Loaded through koffi (the FFI the zombie reaper uses); where it cannot be loaded (not glibc),
// `posixSpawner` answers undefined and the spawner keeps using child_process.
import { constants } from 'node:os'
import { errnoName, libc } from './libc.js'

const WNOHANG = 1
const WEXITED = 4
const WNOWAIT = 0x01000000
const P_ALL = 0
/** siginfo_t is 128 bytes; si_pid sits at offset 16 on 64-bit Linux. */
const SIGINFO_BYTES = 128
const SI_PID_OFFSET = 16
const POSIX_SPAWN_SETSIGDEF = 0x04
const POSIX_SPAWN_SETSIGMASK = 0x08
const POSIX_SPAWN_SETSID = 0x80
/** Larger than glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336) and sigset_t (128) on any ABI. */
const OPAQUE_BYTES = 1024
const O_RDONLY = 0
const SAFETY_SCAN_MS = 1000
/**
 * Spawns on the pool at once. libuv's pool has 4 threads (log writes need some too), and koffi
 * keeps 8 call stacks ready: past those it allocates one per call, and past 256 it refuses.
 */
const MAX_PARALLEL_SPAWNS = 4

export interface SpawnRequest {
  /** Absolute path of the executable. */
  readonly file: string
  /** argv, argv[0] included. */
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  /** Descriptors that become the child's stdout and stderr (may be the same). */
  readonly stdout: number
  readonly stderr: number
}

/** How a child ended: its exit code, or the signal that killed it. */
export type ChildExit = { readonly code: number | null; readonly signal: NodeJS.Signals | null }

export interface PosixSpawner {
  /**
   * The child's pid, or the errno name of why it could not run (ENOENT, EACCES, …). With
   * `offload` (the default) the call runs on a thread of libuv's pool: the daemon's thread goes
   * on while the kernel clones and execs. Without, it runs here (no thread hand-off).
   */
  spawn(request: SpawnRequest, options?: { offload?: boolean }): Promise<{ pid: number } | { error: string }>
  /** Call `onExit` once when `pid` (a child spawned here) has ended, and reap it. */
  watch(pid: number, onExit: (exit: ChildExit) => void): void
}

type Fn = (...args: unknown[]) => number
type AsyncFn = Fn & { async: (...args: unknown[]) => void }

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]))

/** Children spawned here whose exit has not been collected yet, and who to tell. */
const children = new Map<number, (exit: ChildExit) => void>()

/** Spawns whose pid is not known yet: such a child may already have ended, unwatched. */
let spawnsInFlight = 0

/**
 * Is `pid` a child of ours whose exit this module collects? While a spawn is in flight, any
 * child may be its (the PID 1 reaper leaves those alone, and looks again later).
 */
export function isPosixChild(pid: number): boolean {
  return children.has(pid) || spawnsInFlight > 0
}

let bound: PosixSpawner | null | undefined

/** The spawner, or undefined where glibc's posix_spawn cannot be bound (HOODY_DAEMON_SPAWN=node also says no). */
export function posixSpawner(): PosixSpawner | undefined {
  if (bound === undefined) {
    try {
      bound = process.env.HOODY_DAEMON_SPAWN === 'node' ? null : bind()
    } catch {
      bound = null
    }
  }
  return bound ?? undefined
}

function bind(): PosixSpawner | null {
  const lib = libc()
  if (lib === undefined) return null
  const fn = (signature: string): Fn => lib.func(signature)
  const posixSpawn = fn('int posix_spawn(_Out_ int *pid, const char *path, void *file_actions, void *attrp, const char **argv, const char **envp)') as AsyncFn
  const actionsInit = fn('int posix_spawn_file_actions_init(void *fa)')
  const actionsDestroy = fn('int posix_spawn_file_actions_destroy(void *fa)')
  const addDup2 = fn('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)')
  const addOpen = fn('int posix_spawn_file_actions_addopen(void *fa, int fd, const char *path, int oflag, uint32_t mode)')
  const addChdir = fn('int posix_spawn_file_actions_addchdir_np(void *fa, const char *path)')
  // glibc 2.34+: close every other descriptor in the child, whatever its close-on-exec flag.
  let addCloseFrom: Fn | undefined
  try {
    addCloseFrom = fn('int posix_spawn_file_actions_addclosefrom_np(void *fa, int from)')
  } catch {
    addCloseFrom = undefined
  }
  const attrInit = fn('int posix_spawnattr_init(void *attr)')
  const setFlags = fn('int posix_spawnattr_setflags(void *attr, short flags)')
  const setSigMask = fn('int posix_spawnattr_setsigmask(void *attr, const void *set)')
  const setSigDefault = fn('int posix_spawnattr_setsigdefault(void *attr, const void *set)')
  const sigEmptySet = fn('int sigemptyset(void *set)')
  const sigAddSet = fn('int sigaddset(void *set, int signum)')
  const waitPid = fn('int waitpid(int pid, _Out_ int *status, int options)')
  const waitId = fn('int waitid(int idtype, uint32_t id, void *infop, int options)')

  // Node ignores SIGPIPE (and SIGXFSZ): an ignored signal stays ignored across exec, so the
  // child gets their default back, and an empty signal mask, as libuv's children do.
  const noSignals = Buffer.alloc(OPAQUE_BYTES)
  sigEmptySet(noSignals)
  const ignoredByNode = Buffer.alloc(OPAQUE_BYTES)
  sigEmptySet(ignoredByNode)
  for (const name of ['SIGPIPE', 'SIGXFSZ'] as const) sigAddSet(ignoredByNode, constants.signals[name])
  // glibc's spawn sets its two internal signals (32, 33) to SIG_IGN in the child unless they
  // are in this set; sigaddset refuses them, so their bits are set directly (bit n-1, little-endian).
  for (const signal of [32, 33]) ignoredByNode[(signal - 1) >> 3] = (ignoredByNode[(signal - 1) >> 3] ?? 0) | (1 << ((signal - 1) & 7))
  const attr = Buffer.alloc(OPAQUE_BYTES)
  check(attrInit(attr), 'posix_spawnattr_init')
  check(setFlags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), 'posix_spawnattr_setflags')
  check(setSigMask(attr, noSignals), 'posix_spawnattr_setsigmask')
  check(setSigDefault(attr, ignoredByNode), 'posix_spawnattr_setsigdefault')
  // Never destroyed: the same attributes serve every spawn for the daemon's life.

  const status = [0]
  const reap = (pid: number, onExit: (exit: ChildExit) => void) => {
    const result = waitPid(pid, status, WNOHANG)
    if (result === 0) return false
    children.delete(pid)
    // -1 (ECHILD) means someone else reaped it: it is gone, how is unknown.
    onExit(result === pid ? decode(status[0] ?? 0) : { code: null, signal: null })
    return true
  }
  const scanAll = () => {
    for (const [pid, onExit] of children) reap(pid, onExit)
  }
  // A SIGCHLD says "some child changed": peek (WNOWAIT) at which one has ended, reap it if it is
  // ours, and go on; so an exit costs a few calls, not one per live child. A child of libuv's
  // first in line is libuv's to reap: then ours are looked at one by one.
  const info = Buffer.alloc(SIGINFO_BYTES)
  const collect = () => {
    for (;;) {
      info.fill(0)
      if (waitId(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT) !== 0) return
      const pid = info.readInt32LE(SI_PID_OFFSET)
      if (pid === 0) return
      const onExit = children.get(pid)
      if (onExit === undefined || !reap(pid, onExit)) {
        scanAll()
        return
      }
    }
  }
  const slots = new Slots(MAX_PARALLEL_SPAWNS)
  let listening = false
  // Like a ChildProcess, a live child keeps the event loop alive; the timer also looks again now
  // and then, should a SIGCHLD ever go unnoticed.
  let keepAlive: NodeJS.Timeout | null = null
  const collectAndRelease = () => {
    collect()
    if (children.size === 0 && keepAlive !== null) {
      clearInterval(keepAlive)
      keepAlive = null
    }
  }

  return {
    async spawn(request, options = {}) {
      const offload = options.offload ?? true
      spawnsInFlight++
      if (offload) await slots.acquire()
      const actions = Buffer.alloc(OPAQUE_BYTES)
      try {
        check(actionsInit(actions), 'posix_spawn_file_actions_init')
        check(addOpen(actions, 0, '/dev/null', O_RDONLY, 0), 'posix_spawn_file_actions_addopen')
        check(addDup2(actions, request.stdout, 1), 'posix_spawn_file_actions_adddup2')
        check(addDup2(actions, request.stderr, 2), 'posix_spawn_file_actions_adddup2')
        check(addChdir(actions, request.cwd), 'posix_spawn_file_actions_addchdir_np')
        if (addCloseFrom !== undefined) check(addCloseFrom(actions, 3), 'posix_spawn_file_actions_addclosefrom_np')
        const env = Object.entries(request.env).map(([key, value]) => `${key}=${value}`)
        const pid = [0]
        // clone + exec take 0.4 ms on an idle machine, several when the other core is busy
        // (the vfork child waits for a CPU): on the pool, spawns overlap instead of queueing.
        const argv = [...request.argv, null]
        const envp = [...env, null]
        const error = !offload ? posixSpawn(pid, request.file, actions, attr, argv, envp) : await new Promise<number>((resolve, reject) => {
          posixSpawn.async(pid, request.file, actions, attr, argv, envp, (failure: unknown, result: number) => {
            if (failure === null || failure === undefined) resolve(result)
            else reject(failure instanceof Error ? failure : new Error('posix_spawn could not be called', { cause: failure }))
          })
        })
        if (error !== 0) return { error: errnoName(error) }
        return { pid: pid[0] ?? 0 }
      } finally {
        spawnsInFlight--
        actionsDestroy(actions)
        if (offload) slots.release()
      }
    },
    watch(pid, onExit) {
      children.set(pid, onExit)
      if (!listening) {
        process.on('SIGCHLD', collectAndRelease)
        listening = true
      }
      keepAlive ??= setInterval(collectAndRelease, SAFETY_SCAN_MS)
      // It may have ended before it was watched (its SIGCHLD came first).
      setImmediate(collectAndRelease)
    },
  }
}

/** At most `free` holders at once; the others wait in order. */
class Slots {
  private free: number
  private readonly waiting: (() => void)[] = []

  constructor(count: number) {
    this.free = count
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  release(): void {
    const next = this.waiting.shift()
    if (next === undefined) this.free++
    else next()
  }
}

function check(result: number, what: string): void {
  if (result !== 0) throw new Error(`${what} failed: ${errnoName(result)}`)
}

/** A wait status: exited with a code, or killed by a signal. */
function decode(status: number): ChildExit {
  const signal = status & 0x7f
  if (signal === 0) return { code: (status >> 8) & 0xff, signal: null }
  return { code: null, signal: SIGNAL_NAMES.get(signal) ?? null }
}
