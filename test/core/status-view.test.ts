import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { InstanceSnapshot } from '../../src/core/instance-spec.js'
import { nextUptimeTick, StatusListCache, uptimeSeconds } from '../../src/core/status-view.js'
import type { ProgramStatus } from '../../src/schema/status.js'

const running = (startedAt: number): InstanceSnapshot => ({ port: 0, state: 'RUNNING', pid: 42, startedAt, exitStatus: null, spawnError: null })
const stopped: InstanceSnapshot = { port: 0, state: 'STOPPED', pid: null, startedAt: null, exitStatus: null, spawnError: null }

test('the next uptime tick is the earliest second boundary of any running instance', () => {
  assert.equal(nextUptimeTick([stopped], 5000), Number.POSITIVE_INFINITY)
  assert.equal(nextUptimeTick([running(1000), running(1700)], 2500), 2700)
  assert.equal(nextUptimeTick([running(1000)], 2000), 3000)
  // Right at a tick the uptime has just changed, so the next one is a second away.
  const snapshot = running(1000)
  assert.equal(uptimeSeconds(snapshot, 2000), 1)
  assert.equal(uptimeSeconds(snapshot, 2999), 1)
  assert.equal(uptimeSeconds(snapshot, 3000), 2)
})

test('the status list is rebuilt only when its key changes or its time runs out', () => {
  const cache = new StatusListCache()
  let builds = 0
  const build = (validUntil: number) => () => {
    builds++
    return { list: [{ id: `p${builds}` } as ProgramStatus], validUntil }
  }
  const first = cache.read('a', 0, build(100))
  assert.equal(cache.read('a', 99, build(100)), first, 'same key, still valid: same object')
  assert.equal(builds, 1)
  assert.ok(Object.isFrozen(first))
  const afterTick = cache.read('a', 100, build(200))
  assert.notEqual(afterTick, first)
  assert.equal(builds, 2)
  const afterChange = cache.read('b', 101, build(200))
  assert.notEqual(afterChange, afterTick)
  assert.equal(builds, 3)
})
