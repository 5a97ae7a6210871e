// When a spawn goes to the thread pool: alone it stays on the event loop, in a burst it goes.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { beginSpawn } from '../../src/core/spawn-pace.js'

test('spawns one after another stay on the loop; the third within 10 ms, or one while another is unsettled, is offloaded', () => {
  const first = beginSpawn(1_000_000)
  assert.equal(first.offload, false)
  const during = beginSpawn(1_000_001)
  assert.equal(during.offload, true, 'the first has not settled')
  first.done()
  during.done()
  during.done()
  const third = beginSpawn(1_000_005)
  assert.equal(third.offload, true, 'three starts within 10 ms')
  third.done()
  // Respawns one at a time, each settled, 6 ms apart: never a burst.
  for (let at = 1_000_100; at < 1_000_200; at += 6) {
    const respawn = beginSpawn(at)
    assert.equal(respawn.offload, false, `respawn at ${at}`)
    respawn.done()
  }
})

test('a steady stream of starts 2.5 ms apart is a burst', () => {
  const offloaded: boolean[] = []
  for (let at = 2_000_000; at < 2_000_050; at += 2.5) {
    const start = beginSpawn(at)
    offloaded.push(start.offload)
    start.done()
  }
  assert.deepEqual(offloaded.slice(2), offloaded.slice(2).map(() => true))
})
