// docs/openapi.json is generated from the route schemas: it must be current, valid OpenAPI 3.1,
// and cover every route the server registers, each with its error responses.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import { buildApp, routesOf } from '../../src/api/app.js'
import { openApiText } from '../../src/api/openapi-document.js'
import type { DaemonCore, QuickStartCore } from '../../src/core/daemon-core.js'
import { ROOT, startDaemon } from '../helpers/daemon.js'

test('docs/openapi.json is what the route schemas generate (run `npm run openapi` after a change)', async () => {
  const committed = readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8')
  assert.equal(committed, await openApiText())
})

test('the document is valid OpenAPI 3.1', async () => {
  const validator = new Validator()
  const result = await validator.validate(JSON.parse(await openApiText()) as Parameters<Validator['validate']>[0])
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2))
  assert.equal(validator.version, '3.1')
})

test('every registered route is documented, with 4xx answers on every protected one', async () => {
  const app = await buildApp({ core: {} as DaemonCore, quickStart: {} as QuickStartCore, version: 'test' })
  await app.ready()
  const document = JSON.parse(await openApiText()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
  const routes = routesOf(app)
  assert.ok(routes.length >= 20)
  for (const { method, url } of routes) {
    const path = url.replace(/:([a-z_]+)/g, '{$1}')
    const operation = document.paths[path]?.[method.toLowerCase()]
    assert.ok(operation !== undefined, `${method} ${url} is missing from the document`)
    const codes = Object.keys(operation.responses)
    assert.ok(codes.some((c) => c.startsWith('2')), `${method} ${url} documents a success answer`)
    if (!url.endsWith('/health')) {
      assert.ok(codes.includes('401'), `${method} ${url} documents 401`)
    }
    if (url.includes(':id')) assert.ok(codes.includes('404') && codes.includes('400'), `${method} ${url} documents 400 and 404`)
  }
  await app.close()
})

test('a running daemon serves the committed document, and keeps serving it', async (t) => {
  const daemon = await startDaemon(t)
  const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8')) as unknown
  for (let i = 0; i < 2; i++) {
    const reply = await daemon.get('/openapi.json')
    assert.equal(reply.status, 200)
    assert.deepEqual(reply.body, committed)
  }
})
