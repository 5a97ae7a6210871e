#!/usr/bin/env node
// Finds every *.test.ts under the given folders (default: test/, without test/stress, which only
// runs when named: `npm run test:stress`) and runs them with node:test.
// Node 20's --test does not expand globs itself, hence this small runner.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function collect(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : []
  return readdirSync(path).sort().flatMap((entry) => entry === 'fixtures' ? [] : collect(join(path, entry)))
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const files = roots.length > 0 ? roots.flatMap(collect) : collect('test').filter((file) => !file.startsWith(join('test', 'stress') + '/'))
if (files.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2'
// Stress files run for many minutes: they set their own timeouts.
const stress = files.some((file) => file.startsWith(join('test', 'stress') + '/'))
const timeout = process.env.TEST_TIMEOUT ?? (stress ? String(6 * 3600 * 1000) : '180000')
const result = spawnSync(process.execPath, [
  '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeout}`, '--test-reporter=spec', ...files,
], { stdio: 'inherit' })
process.exit(result.status ?? 1)
