// Fault injection shared by the quick fault tests (npm test) and their long versions (test:stress).
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { exitOf, startDaemon, type DaemonHandle } from './daemon.js'

export interface KillLoopResult {
  readonly kills: number
  /** Adds the daemon acknowledged before it was killed (each must be on disk). */
  readonly acknowledged: number
  /** Adds in flight at the kill (each may or may not be on disk). */
  readonly inFlight: number
}

/**
 * SIGKILL the daemon while it writes programs.json, `kills` times. After each kill the file must
 * parse, hold only valid programs, contain every add that was acknowledged, and nothing that was
 * never asked for: the old state or the new one, never a mix or a torn file.
 */
export async function killDuringConfigWrites(t: TestContext, dataDir: string, kills: number): Promise<KillLoopResult> {
  const requested = new Set<string>()
  const acknowledged = new Set<string>()
  let inFlight = 0
  let counter = 0
  for (let round = 0; round < kills; round++) {
    const daemon: DaemonHandle = await startDaemon(t, { dataDir })
    // A stream of adds (and edits of earlier ones), 8 at a time, until the kill.
    let killed = false
    const pending: Promise<void>[] = []
    const fire = async (): Promise<void> => {
      while (!killed) {
        const id = `p${counter++}`
        requested.add(id)
        try {
          const reply = await daemon.request('POST', '/programs/add', { name: id, command: `sleep ${counter}`, description: 'x'.repeat(counter % 500) })
          if (reply.status === 201) acknowledged.add(id)
        } catch {
          // the daemon died with this request in flight
          inFlight++
          return
        }
      }
    }
    for (let i = 0; i < 8; i++) pending.push(fire())
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 130)))
    killed = true
    daemon.child.kill('SIGKILL')
    await exitOf(daemon.child)
    await Promise.all(pending)

    const path = join(dataDir, 'programs.json')
    if (!existsSync(path)) {
      // Killed before the first write: only valid while nothing was acknowledged.
      assert.equal(acknowledged.size, 0, `round ${round}: programs.json is missing although adds were acknowledged`)
      continue
    }
    const text = readFileSync(path, 'utf8')
    let stored: { id: string; command: string }[]
    try {
      stored = JSON.parse(text) as { id: string; command: string }[]
    } catch (error) {
      assert.fail(`round ${round}: programs.json is not valid JSON after a SIGKILL: ${(error as Error).message}`)
    }
    const ids = new Set(stored.map((p) => p.id))
    for (const id of acknowledged) assert.ok(ids.has(id), `round ${round}: acknowledged add ${id} lost`)
    for (const id of ids) assert.ok(requested.has(id), `round ${round}: ${id} was never asked for`)
    assert.equal(ids.size, stored.length, `round ${round}: an id appears twice`)
    // Whatever was in flight and did land is now acknowledged state for the next round.
    for (const id of ids) acknowledged.add(id)
  }
  return { kills, acknowledged: acknowledged.size, inFlight }
}
