import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { runToExit, startDaemon, tempDir } from '../helpers/daemon.js'


describe('server start-up', () => {
  test('prints "listening on http://HOST:PORT" and answers /health', async (t) => {
    const daemon = await startDaemon(t)
    assert.match(daemon.stdout(), /^listening on http:\/\/127\.0\.0\.1:\d+\n$/)
    const health = await daemon.get('/health')
    assert.equal(health.status, 200)
    assert.equal(health.body.status, 'healthy')
    assert.equal(health.body.service, 'hoody-daemon')
    assert.deepEqual(health.body.checks, { supervisor: 'running', config: 'valid' })
    assert.equal(typeof health.body.version, 'string')
    assert.equal(typeof health.body.uptime, 'number')
    assert.ok(!Number.isNaN(Date.parse(health.body.timestamp)))
  })

  test('HOODY_DAEMON_* variables configure it; a flag beats its variable', async (t) => {
    const dir = tempDir(t)
    const daemon = await startDaemon(t, { dataDir: dir, env: { HOODY_DAEMON_TOKEN: 'from-env', HOODY_DAEMON_PORT: '1' } })
    // --port 0 from the helper beats HOODY_DAEMON_PORT=1 (which would need root and be taken).
    assert.notEqual(new URL(daemon.url).port, '1')
    assert.equal((await daemon.get('/programs')).status, 401)
    const authed = await daemon.request('GET', '/programs', undefined, { authorization: 'Bearer from-env' })
    assert.equal(authed.status, 200)
  })

  test('a non-loopback host without a token is refused', async () => {
    const { code, stderr } = await runToExit(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', '/nonexistent/never-created'])
    assert.equal(code, 2)
    assert.match(stderr, /without a token/)
  })

  test('bad flags exit 2 with a message', async () => {
    for (const args of [['serve', '--port', 'abc'], ['serve', '--bogus'], ['frobnicate']]) {
      const { code, stderr } = await runToExit(args)
      assert.equal(code, 2, args.join(' '))
      assert.ok(stderr.length > 0)
    }
  })
})

describe('token', () => {
  test('every route but /health needs the bearer token', async (t) => {
    const daemon = await startDaemon(t, { token: 's3cret' })
    const anonymous = async (method: string, path: string) => {
      const response = await fetch(`${daemon.base}${path}`, { method })
      return { status: response.status, body: await response.json() as { code: string } }
    }
    const health = await anonymous('GET', '/health')
    assert.equal(health.status, 200)
    for (const [method, path] of [['GET', '/programs'], ['GET', '/status'], ['POST', '/programs/add'], ['GET', '/programs/x/logs'], ['POST', '/programs/x/start'], ['GET', '/nowhere']] as const) {
      const reply = await anonymous(method, path)
      assert.equal(reply.status, 401, `${method} ${path}`)
      assert.equal(reply.body.code, 'UNAUTHORIZED')
    }
    const wrong = await fetch(`${daemon.base}/programs`, { headers: { authorization: 'Bearer s3cre' } })
    assert.equal(wrong.status, 401)
    assert.match(wrong.headers.get('www-authenticate') ?? '', /Bearer/)
    assert.equal((await daemon.get('/programs')).status, 200)
  })
})

describe('bad requests get the contract envelope', () => {
  test('unknown route, bad JSON, huge body, wrong types', async (t) => {
    const daemon = await startDaemon(t)
    const notFound = await daemon.get('/no/such/route')
    assert.equal(notFound.status, 404)
    assert.deepEqual(Object.keys(notFound.body).sort(), ['code', 'error', 'success'])
    assert.equal(notFound.body.code, 'NOT_FOUND')
    assert.equal(notFound.body.success, false)

    const badJson = await daemon.request('POST', '/programs/add', '{"name": "x",', { 'content-type': 'application/json' })
    assert.equal(badJson.status, 400)
    assert.equal(badJson.body.code, 'INVALID_JSON')

    const textBody = await daemon.request('POST', '/programs/add', 'hello', { 'content-type': 'text/plain' })
    assert.equal(textBody.status, 400)
    assert.equal(textBody.body.code, 'INVALID_JSON')

    const proto = await daemon.request('POST', '/programs/add', '{"name":"p","command":"sleep 1","__proto__":{"x":1}}', { 'content-type': 'application/json' })
    assert.equal(proto.status, 400)

    const huge = await daemon.post('/programs/add', { name: 'big', command: 'sleep 1', description: 'x'.repeat(1024 * 1024 + 10) })
    assert.equal(huge.status, 413)
    assert.equal(huge.body.code, 'PAYLOAD_TOO_LARGE')

    const wrongType = await daemon.post('/programs/add', { name: 'p', command: 'sleep 1', startsecs: '5' })
    assert.equal(wrongType.status, 400)
    assert.equal(wrongType.body.code, 'VALIDATION_ERROR')
    assert.deepEqual(wrongType.body.details.map((d: { field: string }) => d.field), ['startsecs'])

    const badId = await daemon.get('/programs/..%2F..%2Fetc')
    assert.equal(badId.status, 400)
    assert.equal(badId.body.code, 'VALIDATION_ERROR')

    const badQuery = await daemon.get('/programs/x/logs?lines=0')
    assert.equal(badQuery.body.code, 'VALIDATION_ERROR')
    for (const reply of [notFound, badJson, textBody, huge, wrongType, badId, badQuery]) {
      assert.ok(!JSON.stringify(reply.body).includes('    at '), 'no stack trace in an answer')
    }
  })
})
