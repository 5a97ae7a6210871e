// Hostile input against every route of the real daemon, property-based (fast-check): random and
// malformed bodies, wrong types in every field, huge values, unicode, traversal in ids and log
// paths, odd query strings and headers. Few runs here (HOODY_FUZZ_RUNS overrides); the same
// properties run 10,000 times each in test/stress/hostile-input.test.ts (`npm run test:stress`).
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { startDaemon } from '../helpers/daemon.js'
import { fuzzRuns, runAllProperties } from '../helpers/hostile.js'
import { rawRequest, type RawReply } from '../helpers/raw-http.js'

const RUNS = fuzzRuns(100)

test(`hostile input: ${RUNS} runs per property, never a 5xx, a hang, a change or an escape`, async (t) => {
  await runAllProperties(t, RUNS)
})

// Requests Node's HTTP parser refuses before any route sees them, and URLs that are not valid
// percent-encoding, still get the contract's envelope (they used to get Fastify's own body).
test('malformed HTTP and bad URLs are answered in the error envelope', async (t) => {
  const daemon = await startDaemon(t, { token: 'tok' })
  const port = Number(new URL(daemon.url).port)
  const auth = ['authorization', 'Bearer tok'] as const
  const send = (method: string, target: string, headers: (readonly [string, string])[] = [auth]) =>
    rawRequest(port, { method, target, headers }, 10_000)
  const cases: [string, () => Promise<RawReply>, number, string, string | undefined][] = [
    ['a header over 16 KiB', () => send('GET', '/api/v1/daemon/programs', [auth, ['x-big', 'b'.repeat(20_000)]]), 413, 'PAYLOAD_TOO_LARGE', undefined],
    ['an unknown method', () => send('FOO', '/api/v1/daemon/programs'), 400, 'VALIDATION_ERROR', '(request)'],
    ['a lower-case method', () => send('get', '/api/v1/daemon/programs'), 400, 'VALIDATION_ERROR', '(request)'],
    ['a NUL byte in the path', () => send('GET', '/api/v1/daemon/programs/a\u0000b'), 400, 'VALIDATION_ERROR', '(request)'],
    ['a NUL byte in a header', () => send('GET', '/api/v1/daemon/programs', [auth, ['x-nasty', 'a\u0000b']]), 400, 'VALIDATION_ERROR', '(request)'],
    ['a bad percent-encoding in the id', () => send('GET', '/api/v1/daemon/programs/%ff'), 400, 'VALIDATION_ERROR', '(url)'],
    ['an encoded lone surrogate in the id', () => send('POST', '/api/v1/daemon/programs/%ED%A0%80/start'), 400, 'VALIDATION_ERROR', '(url)'],
    ['a lone % in the id', () => send('GET', '/api/v1/daemon/status/%'), 400, 'VALIDATION_ERROR', '(url)'],
  ]
  for (const [what, request, status, code, field] of cases) {
    const reply = await request()
    assert.equal(reply.status, status, `${what}: ${reply.text}`)
    assert.match(reply.headers['content-type'] ?? '', /^application\/json/, what)
    const body = reply.json as { success: boolean; error: string; code: string; details?: { field: string }[] }
    assert.equal(body.success, false, what)
    assert.equal(body.code, code, what)
    assert.ok(body.error.length > 0, what)
    if (field !== undefined) assert.deepEqual(body.details?.map((d) => d.field), [field], `${what}: ${reply.text}`)
  }
  // The daemon is fine and still answers normally.
  assert.equal((await daemon.get('/health')).status, 200)
  assert.equal((await daemon.get('/programs')).status, 200)
})

// Found by the fuzzing: `^[^\0]*\S[^\0]*$` let \S take a single NUL (or, for names, a single
// control character), and backtracked quadratically: 100 KB of command held the daemon 13 s.
test('command and name patterns refuse one NUL or control character, in linear time', async (t) => {
  const daemon = await startDaemon(t)
  await daemon.add({ name: 'target', command: 'sleep 1' })
  const refused: [string, Record<string, unknown>, string][] = [
    ['/programs/add', { name: 'x', command: 'x\u0000y' }, 'command'],
    ['/programs/add', { name: 'a\u0001b', command: 'sleep 1' }, 'name'],
    ['/programs/add', { name: 'a\u007fb', command: 'sleep 1' }, 'name'],
    ['/programs/edit/target', { command: 'sleep\u00001' }, 'command'],
    ['/programs/edit/target', { name: '\u001b' }, 'name'],
    ['/quick-start', { command: 'x\u0000y' }, 'command'],
  ]
  for (const [path, body, field] of refused) {
    const reply = await daemon.post(path, body)
    assert.equal(reply.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.body)}`)
    assert.equal(reply.body.code, 'VALIDATION_ERROR')
    assert.ok(reply.body.details.some((d: { field: string }) => d.field === field), JSON.stringify(reply.body.details))
  }
  // Still fine: tabs and newlines in a command, non-ASCII text, surrounding blanks.
  assert.equal((await daemon.post('/programs/add', { name: ' été ', id: 'ete', command: `sh -c 'true\n\ttrue'` })).status, 201)
  for (const [path, body] of [['/programs/add', { name: 'x', command: '   ' }], ['/programs/add', { name: '\t \u3000', command: 'sleep 1' }], ['/quick-start', { command: '\n' }]] as const) {
    assert.equal((await daemon.post(path, body)).body.code, 'VALIDATION_ERROR', JSON.stringify(body))
  }
  // Long strings that fail only at their end are refused at once, and /health is not held up.
  const long = 'a'.repeat(1_000_000)
  for (const body of [{ name: 'x', command: `${long}\u0000\u0000` }, { name: `${long}\u0001\u0001`, command: 'sleep 1' }, { name: 'x', command: `${' '.repeat(1_000_000)}\u0000` }]) {
    const started = Date.now()
    const [reply, health] = await Promise.all([daemon.post('/programs/add', body), daemon.get('/health')])
    assert.equal(reply.body.code, 'VALIDATION_ERROR')
    assert.equal(health.status, 200)
    assert.ok(Date.now() - started < 3_000, `refused in ${Date.now() - started} ms`)
  }
  assert.deepEqual((await daemon.get('/programs')).body.map((p: { id: string }) => p.id), ['ete', 'target'])
})

// Found by the fuzzing: Node sends a HEAD answer's headers only with the end, and the stream
// routes never ended one, so HEAD of a log stream hung (holding a log follower) forever.
test('HEAD of a log stream answers at once, without a body', async (t) => {
  const daemon = await startDaemon(t, { token: 'tok' })
  await daemon.add({ name: 'a', command: 'sleep 1000' })
  const quick = (await daemon.post('/quick-start', { command: 'sleep 0.1' })).body.temporary_id as string
  const port = Number(new URL(daemon.url).port)
  const head = (target: string) => rawRequest(port, { method: 'HEAD', target: `/api/v1/daemon${target}`, headers: [['authorization', 'Bearer tok']] }, 5_000)
  for (const target of ['/programs/a/logs/stream', `/quick-start/${quick}/logs/stream`, '/programs/a/logs/stream?stream=stderr&lines=0']) {
    const reply = await head(target)
    assert.equal(reply.status, 200, target)
    assert.match(reply.headers['content-type'] ?? '', /^text\/event-stream/, target)
  }
  assert.equal((await head('/programs/nope/logs/stream')).status, 404)
  assert.equal((await head('/programs/a/logs/stream?lines=-1')).status, 400)
  assert.equal((await daemon.get('/health')).status, 200)
})

// Found by the fuzzing: ids and log paths that would have shared files are refused.
test('a program id never shares default log files with an instance of a port-range program', async (t) => {
  const daemon = await startDaemon(t)
  await daemon.add({ name: 'web', command: 'sleep 1000', port_range: { start: 47201, end: 47202 }, startsecs: 0 })
  const impostor = await daemon.post('/programs/add', { name: 'web-47201', command: 'sleep 1000' })
  assert.equal(impostor.status, 400)
  assert.equal(impostor.body.code, 'VALIDATION_ERROR')
  assert.equal(impostor.body.details[0].field, 'id')
  // The other way round: a port range that would cover an existing id.
  await daemon.add({ name: 'api-5000', command: 'sleep 1000' })
  const ranged = await daemon.post('/programs/add', { name: 'api', command: 'sleep 1000', port_range: { start: 4999, end: 5001 } })
  assert.equal(ranged.status, 400)
  // An id of another shape is fine.
  assert.equal((await daemon.post('/programs/add', { name: 'web-x1', command: 'sleep 1000' })).status, 201)
  assert.equal((await daemon.get('/programs')).body.length, 3)
})

test('a program id never takes the quick-start prefix', async (t) => {
  const daemon = await startDaemon(t)
  const reply = await daemon.post('/programs/add', { name: 'p', id: 'eph-0123456789ab', command: 'sleep 1000' })
  assert.equal(reply.status, 400)
  assert.equal(reply.body.code, 'VALIDATION_ERROR')
  assert.deepEqual((await daemon.get('/programs')).body, [])
})

test('a log path never names the daemon\'s own files', async (t) => {
  const daemon = await startDaemon(t)
  const programsFile = join(daemon.dataDir, 'programs.json')
  const added = await daemon.post('/programs/add', { name: 'clobber', command: `sh -c 'echo CLOBBER; exec sleep 1000'`, startsecs: 0, stdout_logfile: programsFile })
  assert.equal(added.status, 400)
  assert.equal(added.body.code, 'VALIDATION_ERROR')
  assert.equal(added.body.details[0].field, 'stdout_logfile')
  assert.equal(existsSync(programsFile), false, 'nothing was written')
  // Its logs folder is fine.
  assert.equal((await daemon.post('/programs/add', { name: 'ok', command: 'sleep 1', stdout_logfile: join(daemon.dataDir, 'logs', 'ok.log') })).status, 201)
})
