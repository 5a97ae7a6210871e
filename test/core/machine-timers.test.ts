import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MachineTimers } from '../../src/core/machine-timers.js'
import type { MachineEvent } from '../../src/core/states.js'

function recorder(): { timers: MachineTimers; fired: MachineEvent['type'][] } {
  const fired: MachineEvent['type'][] = []
  return { timers: new MachineTimers((event) => { fired.push(event.type) }), fired }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

async function until(done: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

test('each timer fires as the event it stands for; a zero delay on the next turn of the loop', async () => {
  const { timers, fired } = recorder()
  timers.arm('restart', 0)
  timers.arm('startsecs', 0)
  assert.deepEqual(fired, [], 'nothing fires synchronously')
  await turn()
  assert.deepEqual(fired, ['restart_due', 'startsecs_elapsed'])
  timers.arm('backoff', 5)
  timers.arm('stopwait', 5)
  await until(() => fired.length === 4)
  assert.deepEqual(fired.slice(2), ['backoff_elapsed', 'stopwait_elapsed'])
})

test('arming a timer again replaces it; cancelAll leaves nothing to fire', async () => {
  const { timers, fired } = recorder()
  timers.arm('backoff', 0)
  timers.arm('backoff', 0)
  await turn()
  assert.deepEqual(fired, ['backoff_elapsed'], 're-armed: fires once')
  timers.arm('startsecs', 0)
  timers.arm('stopwait', 5)
  timers.cancelAll()
  // Absence cannot be polled for: wait well past the longer delay.
  await new Promise((resolve) => setTimeout(resolve, 30))
  assert.deepEqual(fired, ['backoff_elapsed'])
})
