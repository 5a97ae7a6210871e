// The model-based test of test/api/model.test.ts with many more and longer runs (HOODY_MODEL_RUNS
// overrides). Not part of `npm test`: run with `npm run test:stress`.
import { test } from 'node:test'
import { modelRuns, runModel } from '../helpers/model.js'

const RUNS = modelRuns(300)

test(`model-based (stress): ${RUNS} random command sequences against the real daemon`, { timeout: RUNS * 60_000 + 60_000 }, async (t) => {
  await runModel(t, { runs: RUNS, maxCommands: 60 })
})
