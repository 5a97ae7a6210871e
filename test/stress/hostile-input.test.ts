// The hostile-input properties of test/api/hostile-input.test.ts, 10,000 runs each
// (HOODY_FUZZ_RUNS overrides). Not part of `npm test`: run with `npm run test:stress`.
import { test } from 'node:test'
import { fuzzRuns, runAllProperties } from '../helpers/hostile.js'

const RUNS = fuzzRuns(10_000)

test(`hostile input (stress): ${RUNS} runs per property`, { timeout: RUNS * 6 * 250 + 60_000 }, async (t) => {
  await runAllProperties(t, RUNS)
})
