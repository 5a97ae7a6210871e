// docs/errors.md and the ERRORS table must agree in both directions (code and HTTP status).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { ERRORS } from '../../src/errors.js'
import { ROOT } from '../helpers/daemon.js'

test('every error code is documented with its HTTP status, and nothing else is', () => {
  const text = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8')
  const rows = [...text.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])] as const)
  assert.deepEqual(Object.fromEntries(rows), { ...ERRORS })
  assert.equal(rows.length, Object.keys(ERRORS).length, 'each code documented once')
})
