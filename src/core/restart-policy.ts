// When to restart, and how long to wait: pure functions, so the numbers are testable and documented.
import type { Autorestart } from '../schema/program.js'

/** After a failed start, BACKOFF waits 1 s, 2 s, 3 s … like supervisord. */
export function backoffDelayMs(failures: number): number {
  return failures * 1000
}

/** A run at least this long counts as stable and resets the crash-loop counter. */
export const STABLE_RUN_MS = 10_000
/** The crash-loop delay doubles from this after the second quick crash in a row… */
export const CRASH_LOOP_BASE_MS = 1000
/** …and never grows past this. */
export const CRASH_LOOP_CAP_MS = 60_000

/** Does autorestart ask for a new process after an exit with this status (null: unknown, unexpected)? */
export function shouldRestart(autorestart: Autorestart, exitcodes: readonly number[], exitStatus: number | null): boolean {
  switch (autorestart) {
    case 'true':
      return true
    case 'false':
      return false
    case 'unexpected':
      return exitStatus === null || !exitcodes.includes(exitStatus)
  }
}

/** The number of quick crashes in a row, counting the one that just happened. */
export function nextCrashCount(previous: number, ranMs: number): number {
  return ranMs >= STABLE_RUN_MS ? 1 : previous + 1
}

/**
 * Delay before restarting a process that reached RUNNING and exited (CrashLoopBackOff).
 * The first crash after a stable run restarts at once; then 1 s, 2 s, 4 s … capped at 60 s,
 * so a program that dies instantly can never spin a core.
 */
export function crashLoopDelayMs(crashes: number): number {
  if (crashes <= 1) return 0
  return Math.min(CRASH_LOOP_BASE_MS * 2 ** (crashes - 2), CRASH_LOOP_CAP_MS)
}
