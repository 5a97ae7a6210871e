import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import type { Slot } from '../../src/core/supervisord/slot.js'
import { SupervisordRecovery, type RecoveryHost } from '../../src/core/supervisord/supervisord-recovery.js'

/** A host that records what the recovery asks of it; supervisord fails to start `failures` times. */
function recordingHost(slots: Slot[], wanted: Set<Slot>, failures: number) {
  const events: string[] = []
  let attempts = 0
  let up = true
  let done: () => void = () => undefined
  const finished = new Promise<void>((resolve) => { done = resolve })
  const host: RecoveryHost = {
    // A scope no process carries: stopping the orphans finds none.
    scope: `recovery-test-${randomBytes(4).toString('hex')}`,
    restart: () => {
      attempts++
      events.push(`restart #${attempts}`)
      return attempts <= failures ? Promise.reject(new Error('spawn refused')) : Promise.resolve()
    },
    closed: () => false,
    isUp: () => up,
    slots: () => slots,
    wanted: (slot) => wanted.has(slot),
    cancelRestart: (slot) => { events.push(`cancel ${slot.name}`) },
    lost: (problem) => {
      up = false
      events.push(`lost: ${problem}`)
    },
    stillDown: (problem) => { events.push(`down: ${problem}`) },
    back: () => {
      up = true
      events.push('back')
      return Promise.resolve()
    },
    startAgain: (slot) => {
      events.push(`start ${slot.name}`)
      return slot.name === 'broken' ? Promise.reject(new Error('no such file')) : Promise.resolve()
    },
    recovered: () => {
      events.push('recovered')
      done()
    },
    log: (level, message) => { events.push(`${level}: ${message}`) },
  }
  return { host, events, finished }
}

const slot = (name: string) => ({ name }) as Slot

test('after a death of supervisord: the wanted programs are started again once a new supervisord answers, the waits doubling up to the cap', async () => {
  const [web, idle, broken] = [slot('web'), slot('idle'), slot('broken')]
  const { host, events, finished } = recordingHost([web, idle, broken], new Set([web, broken]), 3)
  const recovery = new SupervisordRecovery(host, { baseMs: 5, capMs: 20 })
  recovery.onExit('supervisord was killed by SIGKILL')
  await finished
  assert.deepEqual(events.filter((e) => !e.startsWith('warn') && !e.startsWith('error: supervisord cannot')), [
    'cancel web',
    'cancel broken',
    'lost: supervisord was killed by SIGKILL; restarting it',
    'error: supervisord was killed by SIGKILL: its programs are stopped, then supervisord and 2 programs are started again',
    'restart #1',
    'down: supervisord cannot be restarted: spawn refused; trying again in 0.01 s',
    'restart #2',
    'down: supervisord cannot be restarted: spawn refused; trying again in 0.02 s',
    'restart #3',
    'down: supervisord cannot be restarted: spawn refused; trying again in 0.02 s',
    'restart #4',
    'back',
    'start web',
    'start broken',
    'error: broken: cannot start again after the supervisord restart: no such file',
    'recovered',
  ])
  assert.equal(events.at(-1), 'warn: supervisord is running again; 2 programs started again')
})

test('no recovery once the engine is closed', () => {
  const { host, events } = recordingHost([slot('web')], new Set(), 0)
  const recovery = new SupervisordRecovery({ ...host, closed: () => true })
  recovery.onExit('supervisord exited with status 1')
  assert.deepEqual(events, [])
})
