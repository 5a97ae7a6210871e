import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffDelayMs, crashLoopDelayMs, nextCrashCount, shouldRestart, STABLE_RUN_MS } from '../../src/core/restart-policy.js'

test('shouldRestart follows autorestart and exitcodes', () => {
  const rows: [Parameters<typeof shouldRestart>, boolean][] = [
    [['true', [0], 0], true],
    [['false', [0], 1], false],
    [['unexpected', [0], 0], false],
    [['unexpected', [0], 1], true],
    [['unexpected', [0, 2], 2], false],
    [['unexpected', [], 0], true],
    // An adopted process's exit status cannot be known: unexpected.
    [['unexpected', [0], null], true],
    [['false', [0], null], false],
  ]
  for (const [args, expected] of rows) assert.equal(shouldRestart(...args), expected, JSON.stringify(args))
})

test('backoff grows linearly like supervisord', () => {
  assert.deepEqual([1, 2, 3, 4].map(backoffDelayMs), [1000, 2000, 3000, 4000])
})

test('crash-loop delay: immediate, then doubling from 1 s, capped at 60 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 8, 20].map(crashLoopDelayMs), [0, 0, 1000, 2000, 4000, 60000, 60000])
})

test('crash counter resets after a stable run', () => {
  assert.equal(nextCrashCount(5, STABLE_RUN_MS), 1)
  assert.equal(nextCrashCount(5, STABLE_RUN_MS - 1), 6)
})
