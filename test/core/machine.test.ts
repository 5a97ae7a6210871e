import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { IllegalTransitionError } from '../../src/errors.js'
import { transition } from '../../src/core/machine.js'
import { EVENT_TYPES, PROCESS_STATES, type MachineContext, type MachineEvent, type EventType, type ProcessState } from '../../src/core/states.js'

const ctx: MachineContext = {
  startsecs: 1, startretries: 3, stopwaitsecs: 10, autorestart: 'unexpected', exitcodes: [0], failures: 0, crashes: 0,
}

function eventOf(type: EventType): MachineEvent {
  if (type === 'spawn_failed') return { type, reason: 'boom' }
  if (type === 'exited') return { type, exitStatus: 1, ranMs: 50 }
  return { type }
}

// Every (state, event) pair: the expected next state, or 'illegal'.
const EXPECTED: Record<ProcessState, Partial<Record<EventType, ProcessState | 'deferred'>>> = {
  STOPPED: { start: 'STARTING', stop: 'STOPPED', lost: 'UNKNOWN', adopted: 'RUNNING' },
  EXITED: { start: 'STARTING', stop: 'EXITED', restart_due: 'STARTING', lost: 'UNKNOWN' },
  FATAL: { start: 'STARTING', stop: 'FATAL', lost: 'UNKNOWN' },
  UNKNOWN: { start: 'STARTING', stop: 'STOPPED', lost: 'UNKNOWN' },
  STARTING: { start: 'STARTING', spawned: 'STARTING', stop: 'STOPPING', startsecs_elapsed: 'RUNNING', spawn_failed: 'BACKOFF', exited: 'BACKOFF', lost: 'UNKNOWN' },
  RUNNING: { start: 'RUNNING', stop: 'STOPPING', exited: 'EXITED', lost: 'UNKNOWN' },
  BACKOFF: { start: 'BACKOFF', stop: 'STOPPED', backoff_elapsed: 'STARTING', lost: 'UNKNOWN' },
  STOPPING: { start: 'deferred', stop: 'STOPPING', stopwait_elapsed: 'STOPPING', exited: 'STOPPED', spawn_failed: 'STOPPED', lost: 'UNKNOWN' },
}

describe('transition table: every (state, event) pair', () => {
  for (const state of PROCESS_STATES) {
    for (const type of EVENT_TYPES) {
      const expected = EXPECTED[state][type]
      test(`${state} + ${type} → ${expected ?? 'throws'}`, () => {
        if (expected === undefined) {
          assert.throws(() => transition(state, eventOf(type), ctx), IllegalTransitionError)
          return
        }
        const outcome = transition(state, eventOf(type), ctx)
        if (expected === 'deferred') {
          assert.equal(outcome.deferred, true)
          assert.equal(outcome.state, state)
        } else {
          assert.equal(outcome.state, expected)
        }
      })
    }
  }
})

describe('transition effects', () => {
  test('a fresh start resets failures and crashes, clears the spawn error and spawns', () => {
    const outcome = transition('FATAL', { type: 'start' }, { ...ctx, failures: 4, crashes: 3 })
    assert.equal(outcome.failures, 0)
    assert.equal(outcome.crashes, 0)
    assert.equal(outcome.spawnError, null)
    assert.deepEqual(outcome.effects.map((e) => e.type), ['cancel_timers', 'spawn'])
  })

  test('spawned arms the startsecs timer', () => {
    const outcome = transition('STARTING', { type: 'spawned' }, { ...ctx, startsecs: 2 })
    assert.deepEqual(outcome.effects, [{ type: 'arm', timer: 'startsecs', ms: 2000 }])
  })

  test('with startsecs 0, spawned is RUNNING at once', () => {
    const outcome = transition('STARTING', { type: 'spawned' }, { ...ctx, startsecs: 0, failures: 2 })
    assert.equal(outcome.state, 'RUNNING')
    assert.equal(outcome.failures, 0)
  })

  test('failed starts back off 1 s, 2 s, 3 s, then FATAL after startretries', () => {
    const delays: number[] = []
    let failures = 0
    let state: ProcessState = 'STARTING'
    for (let attempt = 0; attempt < 4; attempt++) {
      const outcome = transition('STARTING', { type: 'spawn_failed', reason: 'nope' }, { ...ctx, failures })
      failures = outcome.failures ?? failures
      state = outcome.state
      const arm = outcome.effects.find((e) => e.type === 'arm')
      if (arm?.type === 'arm') delays.push(arm.ms)
      assert.equal(outcome.spawnError, 'nope')
    }
    assert.deepEqual(delays, [1000, 2000, 3000])
    assert.equal(state, 'FATAL')
  })

  test('startretries 0 goes straight to FATAL', () => {
    assert.equal(transition('STARTING', { type: 'exited', exitStatus: 1, ranMs: 1 }, { ...ctx, startretries: 0 }).state, 'FATAL')
  })

  test('an early exit names its status and startsecs', () => {
    const outcome = transition('STARTING', { type: 'exited', exitStatus: 3, ranMs: 10 }, ctx)
    assert.equal(outcome.exitStatus, 3)
    assert.match(outcome.spawnError ?? '', /exited with status 3 before startsecs/)
  })

  test('stop from STARTING/RUNNING signals the group and arms stopwait', () => {
    for (const state of ['STARTING', 'RUNNING'] as const) {
      const outcome = transition(state, { type: 'stop' }, { ...ctx, stopwaitsecs: 7 })
      assert.deepEqual(outcome.effects, [
        { type: 'cancel_timers' }, { type: 'signal', signal: 'stopsignal' }, { type: 'arm', timer: 'stopwait', ms: 7000 },
      ])
    }
  })

  test('stopwait elapsed escalates to SIGKILL', () => {
    assert.deepEqual(transition('STOPPING', { type: 'stopwait_elapsed' }, ctx).effects, [{ type: 'signal', signal: 'SIGKILL' }])
  })

  test('an exit while STOPPING is never a crash', () => {
    const outcome = transition('STOPPING', { type: 'exited', exitStatus: 143, ranMs: 5 }, { ...ctx, autorestart: 'true' })
    assert.equal(outcome.state, 'STOPPED')
    assert.equal(outcome.crashes, undefined)
    assert.ok(!outcome.effects.some((e) => e.type === 'arm'))
  })

  const exitCases: { autorestart: MachineContext['autorestart']; exitStatus: number; restarts: boolean }[] = [
    { autorestart: 'true', exitStatus: 0, restarts: true },
    { autorestart: 'true', exitStatus: 1, restarts: true },
    { autorestart: 'false', exitStatus: 0, restarts: false },
    { autorestart: 'false', exitStatus: 1, restarts: false },
    { autorestart: 'unexpected', exitStatus: 0, restarts: false },
    { autorestart: 'unexpected', exitStatus: 2, restarts: true },
    { autorestart: 'unexpected', exitStatus: 137, restarts: true },
  ]
  for (const { autorestart, exitStatus, restarts } of exitCases) {
    test(`RUNNING exit ${exitStatus} with autorestart ${autorestart}: ${restarts ? 'restart' : 'stay EXITED'}`, () => {
      const outcome = transition('RUNNING', { type: 'exited', exitStatus, ranMs: 60_000 }, { ...ctx, autorestart })
      assert.equal(outcome.state, 'EXITED')
      assert.equal(outcome.exitStatus, exitStatus)
      const arm = outcome.effects.find((e) => e.type === 'arm')
      assert.equal(arm !== undefined, restarts)
    })
  }

  test('quick crashes after RUNNING back off exponentially', () => {
    let crashes = 0
    const delays: number[] = []
    for (let i = 0; i < 9; i++) {
      const outcome = transition('RUNNING', { type: 'exited', exitStatus: 1, ranMs: 5 }, { ...ctx, autorestart: 'true', crashes })
      crashes = outcome.crashes ?? crashes
      const arm = outcome.effects.find((e) => e.type === 'arm')
      if (arm?.type === 'arm') delays.push(arm.ms)
    }
    assert.deepEqual(delays, [0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000])
  })

  test('a stable run resets the crash-loop counter', () => {
    const outcome = transition('RUNNING', { type: 'exited', exitStatus: 1, ranMs: 60_000 }, { ...ctx, autorestart: 'true', crashes: 7 })
    assert.equal(outcome.crashes, 1)
    assert.deepEqual(outcome.effects.find((e) => e.type === 'arm'), { type: 'arm', timer: 'restart', ms: 0 })
  })

  test('stop in EXITED cancels a pending restart', () => {
    assert.deepEqual(transition('EXITED', { type: 'stop' }, ctx).effects, [{ type: 'cancel_timers' }])
  })
})
