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
const run = (list, env = {}) => spawnSync(process.execPath, [
  '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeout}`, '--test-reporter=spec', ...list,
], { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1

// The engine matrix: every suite that drives a real daemon (test/api, test/cli, test/client)
// runs a second time against the supervisord engine (skipped, with a note, where supervisord is
// not installed). A test of something the supervisord engine does differently by design skips
// itself there, naming the difference (nativeOnly in test/helpers/daemon.ts).
const MATRIX_ROOTS = ['api', 'cli', 'client'].map((folder) => join('test', folder) + '/')
const matrix = process.env.HOODY_TEST_ENGINE === undefined
  ? files.filter((file) => MATRIX_ROOTS.some((root) => file.startsWith(root)))
  : []
let status = run(files)
if (matrix.length > 0) {
  if (spawnSync('sh', ['-c', 'command -v supervisord']).status === 0) {
    console.log(`\n# engine matrix: ${matrix.length} files again with --engine supervisord`)
    const matrixStatus = run(matrix, { HOODY_TEST_ENGINE: 'supervisord' })
    if (status === 0) status = matrixStatus
  } else {
    console.log('\n# engine matrix skipped: supervisord is not installed (.ci/run installs it)')
  }
}
process.exit(status)
