// Every route in the route table, called without the token or with a wrong one: 401 with the
// contract's error envelope, except /health. Once through inject, once against the real daemon.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildApp, routesOf, type RouteEntry } from '../../src/api/app.js'
import type { DaemonCore, QuickStartCore } from '../../src/core/daemon-core.js'
import { startDaemon } from '../helpers/daemon.js'

const OPEN = new Set(['/api/v1/daemon/health'])
const TOKEN = 'secret-token'
const WRONG: (string | undefined)[] = [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, 'Bearer ', TOKEN]

/** A path for a route: every parameter gets a well-formed id that names nothing. */
const pathOf = (url: string) => url.replace(/:[a-z_]+/gi, 'no-such-id')

async function routeTable(core: DaemonCore, quickStart: QuickStartCore): Promise<readonly RouteEntry[]> {
  const app = await buildApp({ core, quickStart, version: 'test', token: TOKEN })
  await app.ready()
  const routes = routesOf(app)
  await app.close()
  return routes
}

function assertUnauthorized(status: number, body: unknown, what: string): void {
  assert.equal(status, 401, what)
  assert.deepEqual(body, { success: false, error: (body as { error?: unknown }).error, code: 'UNAUTHORIZED' }, what)
  assert.equal(typeof (body as { error?: unknown }).error, 'string', what)
  assert.notEqual((body as { error: string }).error, '', what)
}

describe('authentication on every route of the table', () => {
  test('through inject: the core is never reached', async () => {
    const calls: string[] = []
    const spy = new Proxy({}, { get: (_t, property) => () => { calls.push(String(property)); throw new Error('must not be reached') } })
    const app = await buildApp({ core: spy as DaemonCore, quickStart: spy as QuickStartCore, version: 'test', token: TOKEN })
    await app.ready()
    const routes = routesOf(app)
    assert.ok(routes.length >= 20, `the table lists the routes (${routes.length})`)
    for (const { method, url } of routes) {
      if (OPEN.has(url)) continue
      const path = pathOf(url)
      for (const authorization of WRONG) {
        const what = `${method} ${path} with ${authorization ?? 'no header'}`
        const reply = await app.inject({ method: method as 'GET', url: path, ...(authorization === undefined ? {} : { headers: { authorization } }), ...(method === 'POST' ? { payload: {} } : {}) })
        assertUnauthorized(reply.statusCode, reply.json(), what)
        assert.equal(reply.headers['www-authenticate'], 'Bearer realm="hoody-daemon"', what)
      }
    }
    assert.deepEqual(calls, [], 'the core was never reached')
    const openapi = await app.inject({ method: 'GET', url: '/api/v1/daemon/openapi.json', headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(openapi.statusCode, 200)
    assert.equal(openapi.json<{ openapi: string }>().openapi, '3.1.0')
    await app.close()
  })

  test('against the real daemon, for each route of the table (and HEAD of each GET)', async (t) => {
    const spy = new Proxy({}, { get: () => () => { throw new Error('must not be reached') } })
    const routes = await routeTable(spy as DaemonCore, spy as QuickStartCore)
    const daemon = await startDaemon(t, { token: TOKEN })
    const base = daemon.url
    for (const { method, url } of routes) {
      const path = pathOf(url)
      const send = (authorization: string | undefined, as = method) => fetch(`${base}${path}`, {
        method: as,
        headers: { ...(authorization === undefined ? {} : { authorization }), ...(as === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(as === 'POST' ? { body: '{}' } : {}),
      })
      if (OPEN.has(url)) {
        assert.equal((await send(undefined)).status, 200, `${method} ${path} is open`)
        continue
      }
      for (const authorization of WRONG) {
        const what = `${method} ${path} with ${authorization ?? 'no header'}`
        const reply = await send(authorization)
        assertUnauthorized(reply.status, await reply.json(), what)
        if (method === 'GET') assert.equal((await send(authorization, 'HEAD')).status, 401, `HEAD ${path}`)
      }
      // With the token the same request reaches the route: the table matches the daemon.
      const authed = await send(`Bearer ${TOKEN}`)
      const text = await authed.text()
      const body = (authed.headers.get('content-type')?.startsWith('application/json') === true ? JSON.parse(text) : {}) as { code?: string }
      assert.notEqual(authed.status, 401, `${method} ${path} with the token`)
      assert.notEqual(body.code, 'NOT_FOUND', `${method} ${path} is a route of the daemon`)
    }
  })

  test('without a token, requests sent by web pages are refused on every route but /health', async (t) => {
    const calls: string[] = []
    const spy = new Proxy({}, { get: (_t, property) => () => { calls.push(String(property)); throw new Error('must not be reached') } })
    const app = await buildApp({ core: spy as DaemonCore, quickStart: spy as QuickStartCore, version: 'test' })
    t.after(() => app.close())
    await app.ready()
    const browser: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      // DNS rebinding: the page's origin is the daemon's own address.
      { 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:7070' },
    ]
    for (const { method, url } of routesOf(app)) {
      if (OPEN.has(url)) continue
      const path = pathOf(url)
      for (const headers of browser) {
        const what = `${method} ${path} with ${JSON.stringify(headers)}`
        const reply = await app.inject({ method: method as 'GET', url: path, headers: { ...headers, 'content-type': 'text/plain' }, ...(method === 'POST' ? { payload: '{}' } : {}) })
        assertUnauthorized(reply.statusCode, reply.json(), what)
        assert.match(reply.json<{ error: string }>().error, /--token/, what)
      }
    }
    assert.deepEqual(calls, [], 'the core was never reached')
    // /health stays open to pages; a typed-in address (Sec-Fetch-Site: none) and other clients pass.
    assert.notEqual((await app.inject({ url: '/api/v1/daemon/health', headers: { origin: 'http://evil.example' } })).statusCode, 401)
    for (const headers of [{}, { 'sec-fetch-site': 'none' }, { 'sec-fetch-mode': 'cors' }]) {
      assert.notEqual((await app.inject({ url: '/api/v1/daemon/programs', headers })).statusCode, 401, JSON.stringify(headers))
    }
  })

  test('without a token, a web page cannot start a quick-start on the real daemon', async (t) => {
    const daemon = await startDaemon(t)
    // What a page can send without a CORS preflight: a text/plain POST.
    const reply = await fetch(`${daemon.base}/quick-start`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify({ command: 'touch /tmp/hoody-pwned' }),
    })
    assertUnauthorized(reply.status, await reply.json(), 'POST /quick-start from a page')
    assert.deepEqual((await daemon.get('/quick-start')).body, [])
    assert.equal((await daemon.get('/programs')).status, 200, 'a client that is not a browser still gets in')
  })
})
