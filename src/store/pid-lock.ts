// daemon.pid in the data dir: one daemon per data dir. The holder is identified by pid and start
// time, so a stale file left by a crash (or a recycled pid) never blocks a new start.
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { isRunningProcess, processStartTime as startTimeOf } from '../system/proc-identity.js'
import { writeFileAtomic } from './atomic-write.js'

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError'
}

export async function acquirePidLock(path: string): Promise<{ release: () => Promise<void> }> {
  let holder: { pid?: unknown; start?: unknown } | undefined
  try {
    holder = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; start?: unknown }
  } catch {
    holder = undefined
  }
  if (holder !== undefined && typeof holder.pid === 'number' && holder.pid !== process.pid && typeof holder.start === 'string' && isRunningProcess(holder.pid, holder.start)) {
    // A zombie is a daemon that died and was not reaped yet (a test harness, a shell): not a holder.
    throw new DataDirLockedError(`another hoody-daemon (pid ${holder.pid}) is using this data dir (${path}); stop it or choose another --data-dir`)
  }
  await writeFileAtomic(path, `${JSON.stringify({ pid: process.pid, start: startTimeOf(process.pid) })}\n`, 0o600)
  return { release: () => rm(path, { force: true }) }
}
