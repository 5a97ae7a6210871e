// The long fault runs (npm run test:stress): 200 SIGKILLs during config writes, and 1000
// programs started at once, all killed from outside, all restarted.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { cleanup } from '../helpers/cleanup.js'
import { startDaemon, tempDir } from '../helpers/daemon.js'
import { killDuringConfigWrites } from '../helpers/faults.js'
import { killQuietly, procStat } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

const KILLS = Number(process.env.HOODY_STRESS_KILLS ?? 200)
const PROGRAMS = Number(process.env.HOODY_STRESS_PROGRAMS ?? 1000)

/** Live pids by command line, for the processes whose argv starts with `sleep 9…`. */
function sleepers(): Map<string, number[]> {
  const found = new Map<string, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (argv[0] !== 'sleep' || !argv[1]?.startsWith('9') || procStat(Number(entry))?.state === 'Z') continue
      found.set(argv[1], [...(found.get(argv[1]) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  return found
}

async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += size) results.push(...await Promise.all(items.slice(i, i + size).map((item, j) => work(item, i + j))))
  return results
}

describe('stress: faults', () => {
  test(`SIGKILL during config writes, ${KILLS} times`, { timeout: 30 * 60_000 }, async (t) => {
    const result = await killDuringConfigWrites(t, tempDir(t), KILLS)
    t.diagnostic(`kills ${result.kills}, adds acknowledged ${result.acknowledged}, in flight at a kill ${result.inFlight}`)
  })

  test(`${PROGRAMS} programs at once: no EMFILE, every exit seen, every restart made`, { timeout: 30 * 60_000 }, async (t) => {
    const daemon = await startDaemon(t)
    const ids = Array.from({ length: PROGRAMS }, (_, i) => `p${i}`)
    const argOf = (i: number) => String(9_000_000 + i)
    // 100 clients at a time (each request is its own connection here).
    await inBatches(ids, 100, (id, i) => daemon.add({ name: id, command: `sleep ${argOf(i)}`, startsecs: 0 }))
    const started = await inBatches(ids, 100, (id) => daemon.post(`/programs/${id}/start`))
    assert.deepEqual(started.filter((r) => r.status !== 200).map((r) => JSON.stringify(r.body)), [], 'every start answered 200')
    const running = await waitFor(async () => {
      const list = (await daemon.get('/status')).body as { id: string; status: string; pid: number }[]
      return list.filter((s) => s.status === 'RUNNING').length === PROGRAMS ? list : undefined
    }, { timeoutMs: 120_000 })
    for (const s of running) cleanup(t, () => { killQuietly(s.pid) })
    // Killed from outside all at once: every exit must be seen and every program restarted.
    for (const s of running) process.kill(s.pid, 'SIGKILL')
    const before = new Map(running.map((s) => [s.id, s.pid]))
    const restarted = await waitFor(async () => {
      const list = (await daemon.get('/status')).body as { id: string; status: string; pid: number }[]
      return list.every((s) => s.status === 'RUNNING' && s.pid !== before.get(s.id)) ? list : undefined
    }, { timeoutMs: 180_000 })
    for (const s of restarted) cleanup(t, () => { killQuietly(s.pid) })
    const live = sleepers()
    for (let i = 0; i < PROGRAMS; i++) assert.equal(live.get(argOf(i))?.length, 1, `one process for p${i}`)
    assert.doesNotMatch(daemon.stderr(), /EMFILE|ENFILE/)
    assert.equal(await daemon.stop(), 0)
    assert.equal(sleepers().size, 0, 'all gone after the daemon stopped')
  })
})
