// Boot in ascending priority groups, shutdown in descending ones.
import type { Program } from '../schema/program.js'
import type { ProcessEngine } from './engine.js'
import type { ProgramService } from './program-service.js'

/** A boot group is "up" when every instance has left STARTING/BACKOFF (RUNNING, FATAL…). */
const settled = (state: string) => state !== 'STARTING' && state !== 'BACKOFF'

function byPriority(programs: readonly Program[], order: 'ascending' | 'descending'): Program[][] {
  const groups = new Map<number, Program[]>()
  for (const program of programs) groups.set(program.priority, [...(groups.get(program.priority) ?? []), program])
  const priorities = [...groups.keys()].sort((a, b) => (order === 'ascending' ? a - b : b - a))
  return priorities.map((priority) => groups.get(priority) ?? [])
}

/** A delay that ends early when the signal aborts (shutdown must not wait out delay_seconds). */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve()
      return
    }
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

export interface BootOptions {
  readonly service: ProgramService
  readonly engine: ProcessEngine
  readonly onError: (program: Program, error: unknown) => void
  /** Aborted when the daemon shuts down: the sequence stops at once. */
  readonly signal: AbortSignal
}

/**
 * Start enabled boot programs by ascending priority. Each program waits for the previous
 * group to be up, then for its own delay_seconds; a group is up when none of its instances
 * is STARTING or BACKOFF any more.
 */
export async function boot(options: BootOptions): Promise<void> {
  const { service, engine } = options
  const { signal } = options
  for (const group of byPriority(service.bootPrograms(), 'ascending')) {
    if (signal.aborted) return
    await Promise.all(group.map(async (program) => {
      if (program.delay_seconds > 0) await delay(program.delay_seconds * 1000, signal)
      // Disabled, edited or removed while boot was under way: the current state decides.
      if (signal.aborted || !service.isBootable(program.id)) return
      try {
        await engine.start(program.id)
        await engine.waitFor(program.id, undefined, (s) => settled(s.state) || signal.aborted, Number.POSITIVE_INFINITY)
      } catch (error) {
        options.onError(program, error)
      }
    }))
  }
}

/** Stop every program, by descending priority; one group at a time. */
export async function shutdown(service: ProgramService): Promise<void> {
  service.beginShutdown()
  for (const group of byPriority(service.listPrograms(), 'descending')) {
    await Promise.all(group.map((program) => service.stopAll(program.id)))
  }
}
