// Every route in the route table, called without the token: 401 UNAUTHORIZED, except /health.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp, routesOf } from '../../src/api/app.js'
import type { DaemonCore, QuickStartCore } from '../../src/core/daemon-core.js'

const OPEN = new Set(['/api/v1/daemon/health'])

test('no protected route answers without the bearer token', async () => {
  const calls: string[] = []
  const spy = new Proxy({}, { get: (_t, property) => () => { calls.push(String(property)); throw new Error('must not be reached') } })
  const app = await buildApp({ core: spy as DaemonCore, quickStart: spy as QuickStartCore, version: 'test', token: 'secret' })
  await app.ready()
  for (const { method, url } of routesOf(app)) {
    if (OPEN.has(url)) continue
    const path = url.replace(/:id/g, 'some-id')
    for (const authorization of [undefined, 'Bearer wrong', 'Basic c2VjcmV0', 'Bearer ', 'secret']) {
      const reply = await app.inject({ method: method as 'GET', url: path, ...(authorization === undefined ? {} : { headers: { authorization } }), ...(method === 'POST' ? { payload: {} } : {}) })
      assert.equal(reply.statusCode, 401, `${method} ${path} with ${authorization ?? 'no header'}`)
      assert.equal(reply.json<{ code: string }>().code, 'UNAUTHORIZED')
    }
  }
  assert.deepEqual(calls, [], 'the core was never reached')
  const openapi = await app.inject({ method: 'GET', url: '/api/v1/daemon/openapi.json', headers: { authorization: 'Bearer secret' } })
  assert.equal(openapi.statusCode, 200)
  assert.equal(openapi.json<{ openapi: string }>().openapi, '3.1.0')
  await app.close()
})
