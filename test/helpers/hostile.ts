// Property-based hostile-input fuzzing of the real daemon (spawned from dist/, with a token).
// Every route of the app's route table is driven with random and hostile requests; each answer
// must be a contract 4xx (or a 2xx where the input happens to be valid) in the error envelope,
// a refused request must change nothing, and nothing may be written outside the data dir.
//
// Used by test/api/hostile-input.test.ts (few runs, part of `npm test`) and
// test/stress/hostile-input.test.ts (10,000 runs per property). HOODY_FUZZ_RUNS overrides the
// number of runs, HOODY_FUZZ_SEED replays a failing seed (fast-check prints it) and
// HOODY_FUZZ_ONLY=<part of a property's name> runs that property alone.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync, type Stats } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import type { TestContext } from 'node:test'
import fc from 'fast-check'
import { buildApp, routesOf, type RouteEntry } from '../../src/api/app.js'
import type { DaemonCore, QuickStartCore } from '../../src/core/daemon-core.js'
import { BODY_LIMIT } from '../../src/api/body-parser.js'
import { ERRORS } from '../../src/errors.js'
import { startDaemon, tempDir, type DaemonHandle } from './daemon.js'
import { NoAnswerError, rawRequest, type RawReply } from './raw-http.js'
import { waitFor } from './wait.js'

// ---------------------------------------------------------------------------------------------
// Settings

export function fuzzRuns(fallback: number): number {
  const raw = process.env.HOODY_FUZZ_RUNS
  if (raw === undefined || raw === '') return fallback
  const runs = Number(raw)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`HOODY_FUZZ_RUNS must be a positive integer, not ${JSON.stringify(raw)}`)
  return runs
}

function fuzzSeed(): number | undefined {
  const raw = process.env.HOODY_FUZZ_SEED
  return raw === undefined || raw === '' ? undefined : Number(raw)
}

const TOKEN = 'fuzz-token-secret'
const REQUEST_TIMEOUT_MS = 20_000
/** A refusal is cheap: one taking longer means the daemon worked (or blocked) far too hard. */
const REFUSAL_MS = 5_000
const HEALTH_EVERY = 20
/** A body this large is still being sent when a refusal on the head alone closes the connection. */
const LARGE_BODY = 64 * 1024
/** The one path that answers without the token. */
const OPEN_PATH = /^(https?:\/\/[^/]*)?\/api\/v1\/daemon\/health(\?|$)/
/** An absolute path: a fuzzed environment (PATH=…) must not make the fixtures unstartable. */
const SLEEP = ['/usr/bin/sleep', '/bin/sleep'].find((path) => existsSync(path)) ?? '/usr/bin/sleep'
const FIXTURE_PORTS = { start: 47101, end: 47103 }
const CONTRACT_STATUSES = new Set<number>([200, 201, ...Object.values(ERRORS).filter((s) => s < 500)])
const LOG_NAME = /^[a-z0-9][a-z0-9._-]{0,63}(-\d{1,5})?\.(stdout|stderr)\.log(\.\d+)?$/
// The daemon's own state: programs.json, daemon.pid, … and their atomic-write temp files; its
// own folders (logs/, and whatever the engine keeps, such as FIFOs) hold id-named entries only.
const DATA_FILE = /^[a-z][a-z0-9_-]*\.(json|pid)(\.tmp-[0-9]+-[0-9a-f]+)?$/
const DATA_FOLDER = /^[a-z][a-z0-9_-]*$/
// (the supervisord engine names a port's section file <id>@<port>.conf)
const ENGINE_ENTRY = /^[a-z0-9.][a-z0-9._-]*(@\d{1,5}\.conf[a-z0-9._-]*)?$/

// ---------------------------------------------------------------------------------------------
// The route table, from the app itself: a new route is fuzzed without touching this file.

export async function routeTable(): Promise<RouteEntry[]> {
  const unused = new Proxy({}, { get: () => () => { throw new Error('the route table is read without a core') } })
  const app = await buildApp({ core: unused as DaemonCore, quickStart: unused as QuickStartCore, version: 'fuzz' })
  await app.ready()
  const routes = [...routesOf(app)]
  await app.close()
  return routes
}

const keyOf = (route: RouteEntry) => `${route.method} ${route.url}`

// ---------------------------------------------------------------------------------------------
// The world: a daemon, a temp tree around its data dir, fixture programs and one quick-start.

export interface World {
  daemon: DaemonHandle
  port: number
  root: string
  dataDir: string
  outside: string
  /** Unique text planted in hostile ids and paths: if it ever shows up on disk, a path escaped. */
  marker: string
  eph: string
  routes: RouteEntry[]
  fixtures: Map<string, Record<string, unknown>>
  /** Files outside the data dir, and their hashes, before any request. */
  untouchable: Map<string, string>
  counter: number
  runs: number
  stats: Map<string, number>
}

const FIXTURES: Record<string, unknown>[] = [
  { name: 'fz-a', command: `${SLEEP} 1000`, startsecs: 0, stopwaitsecs: 2, startretries: 0, autorestart: false },
  { name: 'fz-p', command: `${SLEEP} 1000`, port_range: FIXTURE_PORTS, startsecs: 0, stopwaitsecs: 2, startretries: 0, autorestart: false },
]
const READ_ONLY = ['id', 'hoody_kit', 'created_at', 'updated_at']

function editable(program: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(program).filter(([key]) => !READ_ONLY.includes(key)))
}

const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** Every entry under `dir` with its lstat; entries that vanish while walking (temp files) are skipped. */
function walk(dir: string, into: [string, Stats][] = []): [string, Stats][] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return into
    throw error
  }
  for (const entry of entries) {
    const path = join(dir, entry)
    let stat: Stats
    try {
      stat = lstatSync(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    into.push([path, stat])
    if (stat.isDirectory()) walk(path, into)
  }
  return into
}

async function startEphFixture(world: Pick<World, 'daemon'>): Promise<string> {
  const reply = await world.daemon.post('/quick-start', { command: `${SLEEP} 0.1`, name: 'fz-eph' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const id = reply.body.temporary_id as string
  // Finished but kept (pending cleanup): /wait and the log routes answer at once.
  await waitFor(async () => (await world.daemon.get(`/quick-start/${id}/status`)).body.status === 'EXITED', { message: 'fixture quick-start to exit' })
  return id
}

export async function startWorld(t: TestContext): Promise<World> {
  const root = tempDir(t, 'hoody-fuzz-')
  // The data dir sits deep inside the temp tree, so `../` escapes of a few levels land in it.
  const dataDir = join(root, 'n1', 'n2', 'n3', 'data')
  const outside = join(root, 'outside')
  mkdirSync(dataDir, { recursive: true })
  mkdirSync(outside)
  for (const dir of [root, join(root, 'n1'), join(root, 'n1', 'n2'), join(root, 'n1', 'n2', 'n3'), outside]) {
    writeFileSync(join(dir, 'sentinel.txt'), `do not touch ${dir}\n`)
  }
  const daemon = await startDaemon(t, { dataDir, token: TOKEN })
  const port = Number(new URL(daemon.url).port)
  const world: World = {
    daemon, port, root, dataDir, outside,
    marker: `hfz${randomBytes(4).toString('hex')}`,
    eph: '',
    routes: await routeTable(),
    fixtures: new Map(),
    untouchable: new Map(),
    counter: 0,
    runs: 0,
    stats: new Map(),
  }
  for (const definition of FIXTURES) {
    const program = await daemon.add(definition)
    world.fixtures.set(program.id, editable(program))
  }
  world.eph = await startEphFixture(world)
  for (const [path, stat] of walk(root)) {
    if (path.startsWith(dataDir + sep) || path === dataDir) continue
    world.untouchable.set(path, stat.isDirectory() ? 'dir' : hash(path))
  }
  return world
}

// ---------------------------------------------------------------------------------------------
// Requests as data: what fast-check generates, prints and shrinks. Huge values are markers,
// materialised only when the request is sent (a 1 MB counterexample would be unreadable).

type Huge =
  | { $huge: 'string'; n: number; unit: string; tail?: string }
  | { $huge: 'array'; n: number; item: unknown }
  | { $huge: 'deep'; n: number }
  | { $huge: 'object'; n: number }

export type BodySpec =
  | { json: unknown }
  | { text: string }
  | { bytes: readonly number[] }
  | { size: number }

export type IdSpec = { fixture: 'a' | 'p' | 'eph' } | { raw: string }

export interface RequestSpec {
  /** Index into the route table (modulo its length). */
  route: number
  method?: string | undefined
  id?: IdSpec | undefined
  /** Replaces the whole path (after the host) when set. */
  rawPath?: string | undefined
  query?: string | undefined
  /** undefined: application/json when there is a body; null: no content-type header. */
  contentType?: string | null | undefined
  headers?: (readonly [string, string] | { big: number })[] | undefined
  auth?: 'ok' | 'none' | 'wrong' | 'lower' | 'basic' | undefined
  body?: BodySpec | undefined
  chunked?: boolean | undefined
}

function isHuge(value: unknown): value is Huge {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { $huge?: unknown }).$huge === 'string'
}

/** JSON text of a generated value, huge markers and placeholders expanded. */
function jsonText(world: World, value: unknown): string {
  const deep: number[] = []
  const expanded = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string') return placeholders(world, v)
    if (!isHuge(v)) return v
    switch (v.$huge) {
      case 'string': return v.unit.repeat(Math.ceil(v.n / Math.max(1, v.unit.length))).slice(0, v.n) + (v.tail ?? '')
      case 'array': return new Array<unknown>(v.n).fill(v.item)
      case 'object': return Object.fromEntries(Array.from({ length: v.n }, (_, i) => [`k${i}`, i]))
      case 'deep':
        deep.push(v.n)
        return `\u0001deep${deep.length - 1}\u0001`
    }
  }) as string | undefined
  if (expanded === undefined) return ''
  // JSON.stringify recurses: deep nesting is spliced in as text.
  return expanded.replace(/"\\u0001deep(\d+)\\u0001"/g, (_m, i: string) => {
    const n = deep[Number(i)] ?? 1
    return `${'['.repeat(n)}${']'.repeat(n)}`
  })
}

function placeholders(world: World, text: string): string {
  if (!text.includes('@')) return text
  return text
    .replaceAll('@ROOT@', world.root)
    .replaceAll('@DATA@', world.dataDir)
    .replaceAll('@OUT@', world.outside)
    .replaceAll('@MARK@', world.marker)
    .replaceAll('@EPH@', world.eph)
    .replaceAll('@SLEEP@', SLEEP)
    .replaceAll('@UNIQUE@', `fz-new-${++world.counter}`)
}

function bodyBytes(world: World, body: BodySpec): Buffer {
  if ('json' in body) return Buffer.from(jsonText(world, body.json), 'utf8')
  if ('text' in body) return Buffer.from(placeholders(world, body.text), 'utf8')
  if ('bytes' in body) return Buffer.from(body.bytes)
  // A JSON string of exactly `size` bytes.
  return Buffer.from(`"${'x'.repeat(Math.max(0, body.size - 2))}"`, 'utf8')
}

function idText(world: World, id: IdSpec): string {
  if ('fixture' in id) return id.fixture === 'a' ? 'fz-a' : id.fixture === 'p' ? 'fz-p' : world.eph
  return placeholders(world, id.raw)
}

export function materialise(world: World, spec: RequestSpec) {
  const route = world.routes[spec.route % world.routes.length]!
  const method = spec.method ?? route.method
  let path = spec.rawPath === undefined
    ? route.url.replace(/:[A-Za-z_]+/g, () => idText(world, spec.id ?? { fixture: 'a' }))
    : placeholders(world, spec.rawPath)
  if (spec.query !== undefined) path += `?${placeholders(world, spec.query)}`
  const headers: [string, string][] = []
  switch (spec.auth ?? 'ok') {
    case 'ok': headers.push(['authorization', `Bearer ${TOKEN}`]); break
    case 'none': break
    case 'wrong': headers.push(['authorization', 'Bearer not-the-token']); break
    case 'lower': headers.push(['authorization', `bearer  ${TOKEN}`]); break
    case 'basic': headers.push(['authorization', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`]); break
  }
  const body = spec.body === undefined ? undefined : bodyBytes(world, spec.body)
  if (spec.contentType !== null) {
    const type = spec.contentType ?? (body === undefined ? undefined : 'application/json')
    if (type !== undefined) headers.push(['content-type', type])
  }
  for (const header of spec.headers ?? []) {
    if ('big' in header) headers.push(['x-fuzz-big', 'b'.repeat(header.big)])
    else headers.push([header[0], header[1]])
  }
  // Like curl: a body over the limit waits for 100 Continue, so the early 413 is not lost to a reset.
  const expectContinue = body !== undefined && body.length > BODY_LIMIT && spec.chunked !== true
  return { route, method, target: path, headers, body, chunked: spec.chunked, expectContinue }
}

// ---------------------------------------------------------------------------------------------
// Checking one answer.

interface State {
  programs: string
  programsFile: string | null
  ephemeralFile: string | null
  quickStarts: string
  statuses: string
}

const readOrNull = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : null)

async function state(world: World): Promise<State> {
  const [programs, quickStarts, statuses] = await Promise.all([
    world.daemon.get('/programs'), world.daemon.get('/quick-start'), world.daemon.get('/status'),
  ])
  assert.equal(programs.status, 200)
  assert.equal(quickStarts.status, 200)
  assert.equal(statuses.status, 200)
  return {
    programs: JSON.stringify(programs.body),
    programsFile: readOrNull(join(world.dataDir, 'programs.json')),
    ephemeralFile: readOrNull(join(world.dataDir, 'ephemeral.json')),
    quickStarts: JSON.stringify(quickStarts.body.map((q: any) => [q.temporary_id, q.name, q.command])),
    statuses: JSON.stringify(statuses.body.map((s: any) => [s.id, s.status, s.instances?.map((i: any) => i.status)])),
  }
}

function describeRequest(request: ReturnType<typeof materialise>): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s)
  const body = request.body === undefined ? '(no body)' : cut(request.body.toString('utf8'), 300)
  const headers = request.headers.filter(([name]) => name !== 'authorization').map(([n, v]) => `${n}: ${cut(v, 60)}`).join('; ')
  return `${request.method} ${cut(request.target, 300)} [${headers}] ${body}`
}

/** Property 1: a contract answer, in the envelope, with one of the contract's codes. */
export function checkAnswer(reply: RawReply, method: string, what: string): void {
  assert.ok(reply.status < 500, `5xx for ${what}: ${reply.status} ${reply.text.slice(0, 500)}`)
  assert.ok(CONTRACT_STATUSES.has(reply.status), `status ${reply.status} is not a contract status, for ${what}: ${reply.text.slice(0, 500)}`)
  if (method === 'HEAD') return
  if (reply.status >= 400) {
    const body = reply.json as Record<string, unknown> | null | undefined
    assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), `error answer is not a JSON object, for ${what}: ${reply.text.slice(0, 500)}`)
    assert.match(reply.headers['content-type'] ?? '', /^application\/json/, `error answer content-type, for ${what}`)
    assert.equal(body.success, false, `envelope success, for ${what}: ${reply.text.slice(0, 500)}`)
    assert.ok(typeof body.error === 'string' && body.error !== '', `envelope error sentence, for ${what}: ${reply.text.slice(0, 500)}`)
    assert.ok(typeof body.code === 'string' && body.code in ERRORS, `envelope code ${String(body.code)} is not a contract code, for ${what}`)
    assert.equal(ERRORS[body.code as keyof typeof ERRORS], reply.status, `status ${reply.status} does not match code ${body.code}, for ${what}`)
    const allowed = new Set(['success', 'error', 'code', 'details'])
    for (const key of Object.keys(body)) assert.ok(allowed.has(key), `unexpected envelope key ${key}, for ${what}`)
    if (body.code === 'VALIDATION_ERROR') {
      assert.ok(Array.isArray(body.details) && body.details.length > 0, `VALIDATION_ERROR without details naming the field, for ${what}: ${reply.text.slice(0, 500)}`)
    }
    if (body.details !== undefined && Array.isArray(body.details)) {
      for (const d of body.details as { field?: unknown; message?: unknown }[]) {
        assert.ok(typeof d.field === 'string' && typeof d.message === 'string', `details entry ${JSON.stringify(d)}, for ${what}`)
      }
    }
    return
  }
  if (reply.stream) {
    assert.match(reply.text, /^event: ready\n/m, `a stream starts with its ready event, for ${what}`)
    return
  }
  assert.notEqual(reply.json, undefined, `2xx answer is not JSON, for ${what}: ${reply.text.slice(0, 300)}`)
  if (method === 'POST' && reply.status < 300) {
    const body = reply.json as Record<string, unknown>
    assert.equal(body.success, true, `action answer success, for ${what}`)
    assert.equal(typeof body.message, 'string', `action answer message, for ${what}`)
  }
}

/** Property 3: nothing outside the data dir changed; inside it, only the daemon's own files. */
export function checkFilesystem(world: World, what: string): void {
  const seen = new Set<string>()
  for (const [path, stat] of walk(world.root)) {
    if (path === world.dataDir) continue
    if (path.startsWith(world.dataDir + sep)) {
      const rel = relative(world.dataDir, path)
      assert.ok(!stat.isSymbolicLink(), `symlink ${path} appeared in the data dir, after ${what}`)
      assert.ok(!rel.includes(world.marker), `${path}, named after hostile input, appeared in the data dir, after ${what}`)
      const parts = rel.split(sep)
      const name = parts.at(-1) ?? ''
      const ok = parts.length === 1
        ? (stat.isFile() && DATA_FILE.test(name)) || (stat.isDirectory() && DATA_FOLDER.test(name))
        : parts[0] === 'logs'
          ? parts.length === 2 && stat.isFile() && LOG_NAME.test(name)
          : parts.length <= 4 && (stat.isDirectory() ? DATA_FOLDER.test(name) : ENGINE_ENTRY.test(name))
      assert.ok(ok, `unexpected ${stat.isDirectory() ? 'folder' : 'file'} ${path} in the data dir, after ${what}`)
      continue
    }
    seen.add(path)
    const before = world.untouchable.get(path)
    assert.ok(before !== undefined, `${path} was created outside the data dir, after ${what}`)
    if (before !== 'dir') assert.equal(hash(path), before, `${path} was modified, after ${what}`)
  }
  for (const path of world.untouchable.keys()) assert.ok(seen.has(path), `${path} was deleted, after ${what}`)
  const escaped = readdirSync(tmpdir()).filter((name) => name.includes(world.marker))
  assert.deepEqual(escaped, [], `files named after the marker appeared in ${tmpdir()}, after ${what}`)
}

/** Back to the fixtures after an accepted action: every fixture present, unchanged and stopped. */
async function reconcile(world: World): Promise<void> {
  const { daemon } = world
  const quickStarts = (await daemon.get('/quick-start')).body as { temporary_id: string }[]
  for (const q of quickStarts) {
    if (q.temporary_id !== world.eph) assert.equal((await daemon.post(`/quick-start/${q.temporary_id}/stop`)).status, 200)
  }
  if (!quickStarts.some((q) => q.temporary_id === world.eph)) world.eph = await startEphFixture(world)
  const programs = (await daemon.get('/programs')).body as Record<string, unknown>[]
  for (const program of programs) {
    const id = program.id as string
    if (!world.fixtures.has(id)) assert.equal((await daemon.post(`/programs/remove/${id}`)).status, 200, `remove ${id}`)
  }
  for (const [id, definition] of world.fixtures) {
    const current = programs.find((p) => p.id === id)
    if (current === undefined) {
      await daemon.add({ id, ...definition })
      continue
    }
    const status = (await daemon.get(`/status/${id}`)).body
    if (!['STOPPED', 'EXITED', 'FATAL'].includes(status.status)) {
      const stopped = await daemon.post(`/programs/${id}/stop`)
      assert.equal(stopped.status, 200, `stop ${id}: ${JSON.stringify(stopped.body)}`)
    }
    if (JSON.stringify(editable(current)) !== JSON.stringify(definition)) {
      const edited = await daemon.post(`/programs/edit/${id}`, definition)
      assert.equal(edited.status, 200, `restore ${id}: ${JSON.stringify(edited.body)}`)
    }
  }
}

function count(world: World, key: string): void {
  world.stats.set(key, (world.stats.get(key) ?? 0) + 1)
}

function runsCommand(body: Buffer | undefined): boolean {
  if (body === undefined) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return false
  }
  const command = (parsed as { command?: unknown } | null)?.command
  return typeof command === 'string' && command.length <= 16_384 && !command.startsWith(`${SLEEP} `) && /\S/.test(command) && !command.includes('\u0000')
    && !UNPARSABLE_COMMANDS.includes(command)
}

/** Send one generated request and check the three properties. */
export async function exercise(world: World, spec: RequestSpec): Promise<void> {
  const request = materialise(world, spec)
  // Never run a random command: a quick-start body with one is not sent (the run is discarded).
  fc.pre(!(request.method === 'POST' && request.route.url.endsWith('/quick-start') && runsCommand(request.body)))
  const what = describeRequest(request)
  const before = await state(world)
  let reply: RawReply
  const sentAt = Date.now()
  try {
    reply = await rawRequest(world.port, request, REQUEST_TIMEOUT_MS)
  } catch (error) {
    // A request refused before its body is read (a body over the limit: 413; a head Node's
    // parser refuses: 400) is answered and the connection closed while the client may still be
    // writing a large body (Node even sends 100 Continue first): the reset can swallow the
    // answer, as it does for curl. Nothing else may go unanswered.
    const dropped = error instanceof NoAnswerError && error.code !== 'TIMEOUT'
    const size = request.body?.length ?? 0
    if (!dropped || size < LARGE_BODY) assert.fail(`no answer (hang or dropped connection) for ${what}: ${(error as Error).message}`)
    if (size <= BODY_LIMIT) {
      // Not over the limit: the same head without the body must be refused, or the drop is unexplained.
      const probe = await rawRequest(world.port, { ...request, body: undefined, expectContinue: false }, REQUEST_TIMEOUT_MS)
      checkAnswer(probe, request.method, `${what} (again, without its body)`)
      assert.ok(probe.status >= 400, `dropped without an answer, yet the same head without the body is accepted (${probe.status}): ${what}`)
    }
    count(world, 'reset while sending a large body to a refusal')
    assert.deepEqual(await state(world), before, `state changed by a refused request: ${what}`)
    checkFilesystem(world, what)
    return
  }
  assert.equal(world.daemon.child.exitCode, null, `the daemon exited after ${what}: ${world.daemon.stderr().slice(-2000)}`)
  checkAnswer(reply, request.method, what)
  const took = Date.now() - sentAt
  if (reply.status >= 400) assert.ok(took < REFUSAL_MS, `a refusal took ${took} ms: ${what}`)
  if (!['ok', 'lower'].includes(spec.auth ?? 'ok') && reply.status < 300) {
    assert.match(request.target, OPEN_PATH, `answered ${reply.status} without a valid token: ${what}`)
  }
  const code = (reply.json as { code?: string } | undefined)?.code
  count(world, reply.status >= 400 ? `${reply.status} ${code ?? '?'}` : `${reply.status}`)
  if (process.env.HOODY_FUZZ_VERBOSE === '1') count(world, `${request.method} ${request.route.url} ${reply.status}`)
  const accepted = reply.status < 300
  const reads = request.method === 'GET' || request.method === 'HEAD'
  if (!accepted || reads) {
    // Property 2: a refused request (and any read) changed nothing.
    const after = await state(world)
    assert.deepEqual(after, before, `state changed by a ${accepted ? 'read' : `refused (${reply.status} ${code ?? ''})`} request: ${what}`)
  }
  checkFilesystem(world, what)
  if (accepted && !reads) await reconcile(world)
}

export async function checkHealthy(world: World): Promise<void> {
  assert.equal(world.daemon.child.exitCode, null, `the daemon exited: ${world.daemon.stderr().slice(-2000)}`)
  const health = await rawRequest(world.port, { method: 'GET', target: '/api/v1/daemon/health', headers: [] }, 5_000)
  assert.equal(health.status, 200, health.text)
  assert.equal((health.json as { status?: string }).status, 'healthy', health.text)
}

// ---------------------------------------------------------------------------------------------
// Generators.

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
const nastyPiece = fc.oneof(
  loneSurrogate,
  fc.constantFrom('\u0000', '\n', '\r', '\t', '\u001b', '\u001f', '\u007f', '\u0085', '\u2028', '\u202e', '\ufeff', '\uffff', '\u{1f600}', 'e\u0301',
    '/', '\\', '..', '../', '%00', '%2e%2e%2f', '{{PORT}}', '$HOME', '`id`', '$(id)', "'", '"', ' ', '@MARK@'),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.string({ maxLength: 6 }),
)
const nastyString = fc.array(nastyPiece, { maxLength: 10 }).map((parts) => parts.join(''))

const huge: fc.Arbitrary<Huge> = fc.oneof(
  fc.record({
    $huge: fc.constant('string' as const),
    n: fc.constantFrom(65, 129, 1025, 4097, 16_385, 65_537, 1_000_000, 1_100_000),
    unit: fc.constantFrom('x', '\u00e9', '\ud800', '\u0000', '\u{1f600}', '../', ' ', 'a '),
    // A long run that fails only at its end is what makes a backtracking pattern slow.
    tail: fc.constantFrom('', '\u0000\u0000', '\u0001\u0001', ' \u0000', '\u0000x\u0000', '$$', '..', '\n\n'),
  }, { requiredKeys: ['$huge', 'n', 'unit'] }),
  fc.record({ $huge: fc.constant('array' as const), n: fc.constantFrom(257, 1001, 100_000, 600_000), item: fc.constantFrom<unknown>(0, 'a', null, {}, 47101, [0]) }),
  fc.record({ $huge: fc.constant('deep' as const), n: fc.constantFrom(64, 10_000, 100_000) }),
  fc.record({ $huge: fc.constant('object' as const), n: fc.constantFrom(1000, 30_000) }),
)

const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true })
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer(), finiteDouble, fc.string({ maxLength: 8 }),
  fc.constant([]), fc.constant({}), fc.jsonValue({ maxDepth: 2 }),
)
const anyHostile: fc.Arbitrary<unknown> = fc.oneof({ weight: 3, arbitrary: wrongType }, { weight: 2, arbitrary: nastyString }, { weight: 1, arbitrary: huge })

const portValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(-1, 0, 1, 65535, 65536, -65536, 1.5, 47101.5, 1e9, 1e21, 1e308, -1e308, 2 ** 31, 2 ** 53 + 2, -0, 0.1,
    FIXTURE_PORTS.start, FIXTURE_PORTS.start + 1, FIXTURE_PORTS.end, FIXTURE_PORTS.end + 1, 8080),
  fc.integer(), finiteDouble,
  fc.constantFrom<unknown>('47101', '1', '', ' 47101', '0x10', '1e3', 'NaN', '-1', null, [47101], {}, true),
)
const portRange: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ start: portValue, end: portValue }),
  fc.record({ start: portValue, end: portValue, step: wrongType }),
  fc.record({ start: portValue }, { requiredKeys: [] }),
  fc.record({ end: portValue }),
  fc.constantFrom<unknown>({ start: 0, end: 0 }, { start: 1, end: 1000 }, { start: 1, end: 1001 }, { start: 0, end: 3000 },
    { start: 3001, end: 3000 }, { start: 65535, end: 65535 }, { start: 65535, end: 65536 }, [1, 2], '1-2', 3001, null),
  anyHostile,
)
/** Log paths: escapes, traversal, NUL, placeholders, relative, odd encodings. */
const logPath: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', '@OUT@/x.log', '@DATA@/logs/../../../../outside/escape.log', '@DATA@/logs/../x.log', '@DATA@/../../../../outside/y.log',
    '/../../../../../../../tmp/@MARK@.log', '/tmp/@MARK@.log', '/tmp/../tmp/@MARK@-{{PORT}}.log', 'relative.log', '../escape.log', './x.log',
    '~/x.log', 'logs/../../x.log', '@OUT@/a\u0000b.log', '@OUT@/\u0000', '\u0000', '@OUT@/{{PORT}}/../p.log', '@OUT@/p-{{PORT}}.log',
    '@OUT@/', '@OUT@', '//@OUT@/double.log', '@OUT@/%2e%2e/enc.log', '@OUT@/\ud800.log', `@OUT@/${'a'.repeat(300)}.log`,
    'file:///tmp/@MARK@.log', '\\tmp\\@MARK@.log', '@DATA@/programs.json', '@DATA@/daemon.pid', '@DATA@/logs/fz-a.stdout.log',
    '@OUT@/sentinel.txt', '/dev/null', '/proc/self/fd/1', ' /tmp/@MARK@.log', '/tmp/@MARK@.log\n'),
  fc.tuple(fc.constantFrom('@OUT@/', '@DATA@/logs/', '/', '', '/tmp/'), fc.array(fc.constantFrom('..', '.', '%2e%2e', 'a', '', '\u0000', '{{PORT}}', '@MARK@', '\ud800'), { maxLength: 8 }))
    .map(([prefix, parts]) => prefix + parts.join('/')),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => `/tmp/@MARK@/${s}`),
  anyHostile,
)
const idValue: fc.Arbitrary<string> = fc.constantFrom('..', '.', '../', '..%2f', '%2e%2e', '%2e%2e%2f', '%2E%2E%2F', '..%2f..%2f..%2f..%2f..%2ftmp%2f@MARK@',
  '%252e%252e%252f', '..%5c..%5c', '..\\..\\', 'a%2fb', 'fz-a%2f..%2ffz-p', 'fz-a/../fz-p', '....//', '%c0%ae%c0%ae%c0%af', '%00', 'fz-a%00',
  'a%00b', '%ff', '%', '%zz', '%u002e', ';', 'fz-a;x', 'fz-a?x=1', 'fz-a#frag', '#', 'FZ-A', 'Fz-a', 'fz-a.', 'fz-a/', '/fz-a', '//', 'a'.repeat(64),
  'a'.repeat(65), 'a'.repeat(10_000), 'a'.repeat(20_000), 'eph-000000000000', 'eph-', 'eph-ZZZZZZZZZZZZ', '@EPH@', '@EPH@%00', '-x', '.x', '_x', '%20',
  '+', 'fz-a%20', '~', '*', 'null', 'undefined', '__proto__', 'constructor', 'hasOwnProperty', 'toString', '0', '%F0%9F%98%80', '%ED%A0%80',
  '\u00e9', '\u00ff\u00fe', 'a b', 'a\u0000b', 'a\tb', '{{PORT}}', '$(id)', '@MARK@', '..%2f..%2f..%2f..%2f@MARK@', 'fz-a%2e%2e')

/** Percent-encode every code unit (WTF-8 for lone surrogates: a decoder must refuse it). */
function percentEncode(text: string): string {
  let out = ''
  for (const char of text) {
    const cp = char.codePointAt(0)!
    if (/^[A-Za-z0-9._~-]$/.test(char)) {
      out += char
      continue
    }
    const bytes = cp < 0x80 ? [cp]
      : cp < 0x800 ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
        : cp < 0x10000 ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
          : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
    out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  }
  return out
}

/** Characters below 256 sent as raw bytes (latin1); the rest dropped. */
const rawLatin1 = (text: string) => Array.from(text, (c) => (c.charCodeAt(0) < 256 && c !== '\r' && c !== '\n' ? c : '')).join('')

export const idSpec: fc.Arbitrary<IdSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<'a' | 'p' | 'eph'>('a', 'p', 'eph').map((fixture) => ({ fixture })) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{12}$/).map((hex) => ({ raw: `eph-${hex}` })) },
  { weight: 4, arbitrary: idValue.map((raw) => ({ raw })) },
  { weight: 2, arbitrary: nastyString.map((s) => ({ raw: percentEncode(s) })) },
  { weight: 1, arbitrary: nastyString.map((s) => ({ raw: rawLatin1(s) })) },
)

const queryKey = fc.oneof(
  fc.constantFrom('lines', 'port', 'wait', 'stream', 'timeout', 'lines[]', 'lines[0]', 'lines[a]', '__proto__', '__proto__[lines]',
    'constructor[prototype][lines]', '', 'LINES', 'lines%20', '%6cines', 'lines%00', 'x'),
  fc.string({ maxLength: 6 }).map(percentEncode),
)
const queryValue = fc.oneof(
  fc.constantFrom('-1', '0', '1', '1e9', '1e400', '1.5', '1.0', '0x10', '0b1', 'NaN', 'Infinity', '-Infinity', '-0', '99999999999999999999', 'true',
    'false', 'null', '[]', '{}', '', '%20', '%00', '%ff', '%', '+1', '1,2', 'both', 'stdout', 'STDOUT', '47101', '65536', '10000', '10001', '1e-9'),
  fc.integer().map(String), finiteDouble.map(String), nastyString.map(percentEncode), fc.constant('9'.repeat(5000)),
)
export const queryString: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.array(fc.tuple(queryKey, fc.option(queryValue)), { minLength: 1, maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join('&')),
  fc.constantFrom('', '?', '&&&', '=', '==', 'lines=1&lines=2', 'lines=-1', 'lines=1e9', 'lines=10001', 'lines=0', 'port=1&port=2',
    'wait=false&wait=true', 'wait=false', 'wait=0', 'wait=', 'lines=1;port=2', 'lines=1%26port=2', 'lines=5&port=47101', 'stream=both&lines=0',
    'timeout=0', 'timeout=-1', 'timeout=3601', 'timeout=1e400', 'lines[]=1&lines[]=2', 'lines[length]=5', `x=${'y'.repeat(20_000)}`),
)

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-16LE',
      'application/json; charset=latin1', 'application/json;charset=', 'application/json; charset="utf-8"; foo=bar', 'text/plain',
      'text/html', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/octet-stream', 'application/xml',
      '*/*', '', ';', 'application/json, text/plain', 'application/jsonx', 'application/vnd.api+json', 'APPLICATION/JSON', 'application/json\u00e9'),
  },
)
const extraHeader = fc.oneof(
  fc.constantFrom<readonly [string, string]>(['accept', 'text/html'], ['accept', 'application/xml'], ['accept-charset', 'utf-16'],
    ['content-encoding', 'gzip'], ['content-encoding', 'br'], ['expect', '100-continue'], ['x-forwarded-for', '../../etc'], ['origin', 'http://evil'],
    ['accept-encoding', 'gzip, deflate, br'], ['x-http-method-override', 'DELETE'], ['range', 'bytes=0-1'], ['if-none-match', '*'],
    ['te', 'trailers'], ['content-type', 'text/plain'], ['x-nasty', '\u0000'], ['x-nasty', 'caf\u00e9'], ['x-nasty', '\u00ff'], ['x-nasty', 'a\tb'],
    ['x-nasty', '\u007f'], ['x nasty', 'space in name'], ['', 'empty name'], ['x-empty', ''], ['cookie', 'a=b; __proto__=1']),
  fc.constantFrom(1000, 8000, 20_000, 70_000).map((big) => ({ big })),
)
const authSpec = fc.oneof(
  { weight: 12, arbitrary: fc.constant('ok' as const) },
  { weight: 1, arbitrary: fc.constantFrom('none' as const, 'wrong' as const, 'lower' as const, 'basic' as const) },
)

/** Bodies that are not what any route wants: random JSON, broken JSON, raw bytes, huge ones. */
export const randomBody: fc.Arbitrary<BodySpec | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.jsonValue().map((json) => ({ json })) },
  { weight: 2, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('port', 'all', 'name', 'toString', 'id')), anyHostile, { maxKeys: 4 }).map((json) => ({ json })) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', ' ', '\n', '{', '}', '{"a":', '[1,2', '"unterminated', "{'single':1}", '{"a":1,}', '{"a":1}{"b":2}', 'NaN',
      'Infinity', 'undefined', '01', '-', '1e', '\ufeff{}', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}',
      '{"a":"\\ud800"}', '{"a":"\\u0000"}', '{"a":1,"a":2}', '[', 'null', 'true', '0', '""', '{}', '[]', '{"port":47101}', '{"all":true}')
      .map((text) => ({ text })),
  },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 48 }).map((bytes) => ({ bytes })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom([0xff, 0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d], [0x00], [0x7b, 0x00, 0x7d],
      [0xef, 0xbb, 0xbf, 0x7b, 0x7d], [0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]).map((bytes) => ({ bytes })),
  },
  { weight: 1, arbitrary: huge.map((json) => ({ json })) },
  { weight: 1, arbitrary: fc.constantFrom(1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 1_100_000, 3_000_000).map((size) => ({ size })) },
)

// Field values, by the kind of field.
const boolValue = fc.oneof(fc.boolean(), anyHostile, fc.constantFrom<unknown>('true', 'false', 1, 0, 'yes'))
const intValue = fc.oneof(fc.constantFrom<unknown>(-1, 0, 1, 1.5, 999999, 1000000, 1e21, 2 ** 40, 2 ** 40 + 1, 2 ** 53 + 2, -0, 1e308, '1', '0'), fc.integer(), anyHostile)
const numberValue = fc.oneof(fc.constantFrom<unknown>(-1, 0, 1e-300, 0.5, 3600, 3601, 604800, 604801, 1e308, -1e-300, '1', -0), finiteDouble, anyHostile)
const textValue = fc.oneof(nastyString, fc.string({ unit: 'binary', maxLength: 40 }), anyHostile)
const userValue = fc.oneof(fc.constantFrom<unknown>('', 'root', 'nobody', 'no-such-user-@MARK@', 'ROOT', 'root$', '$', '../root', 'root\u0000', '0', 'a'.repeat(33), '-root'), anyHostile)
const directoryValue = fc.oneof(fc.constantFrom<unknown>('', '/', '/tmp', 'relative', '../..', '/tmp/\u0000', `/${'d'.repeat(4096)}`, '@OUT@/../n1', '/nonexistent-@MARK@', '/tmp/\ud800'), logPath)
const envValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom('', '1A', 'A=B', 'A\u0000', 'caf\u00e9', ' A', 'A B', 'a'.repeat(257), 'HFZ_OK', 'toString', 'constructor'), fc.string({ maxLength: 6 })),
    fc.oneof(fc.string({ maxLength: 10 }), anyHostile), { maxKeys: 4 }),
  fc.dictionary(fc.stringMatching(/^HFZ_[A-Z0-9_]{0,8}$/), fc.oneof(nastyString, fc.constantFrom('\u0000', 'x'.repeat(65_537))), { maxKeys: 4 }),
  anyHostile,
)
/** Command lines the daemon cannot split (unbalanced quotes): refused, never run. */
const UNPARSABLE_COMMANDS = ["echo 'open", 'echo "open']
const commandValue = fc.oneof(
  fc.constantFrom<unknown>('', ' ', '\t\n', 'x\u0000y', ...UNPARSABLE_COMMANDS, `@SLEEP@ 1000\u0000`, 'a'.repeat(16_385)),
  anyHostile.filter((v) => typeof v !== 'string'),
)
/** Commands that validate but are never run: add/edit targets are restored before any start. */
const storedCommand = fc.oneof(commandValue, fc.constantFrom<unknown>('@SLEEP@ 1000', `touch @OUT@/pwned-@MARK@`, `sh -c 'rm -rf @OUT@'`, '{{PORT}}', '$(id)'), nastyString)
const exitcodesValue = fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 257 }), wrongType), { maxLength: 5 }), anyHostile)
const autorestartValue = fc.oneof(fc.constantFrom<unknown>('true', 'false', 'unexpected', true, false, 'TRUE', 'sometimes', 1, 0, null), anyHostile)
const signalValue = fc.oneof(fc.constantFrom<unknown>('TERM', 'term', 'SIGTERM', 'KILL', '9', 9, '', 'STOP', 'TERM\u0000'), anyHostile)
const unknownKey = fc.oneof(
  fc.constantFrom('hoody_kit', 'created_at', 'updated_at', 'colour', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'prototype',
    '', ' name', 'Name', 'NAME', 'name\u0000', 'port_range.start', 'isRunning', 'constructor', '__proto__'),
  fc.string({ maxLength: 8 }),
)

const PROGRAM_FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.oneof(textValue, fc.constantFrom<unknown>('fz-a', 'FZ-A', 'Fz-P', '@UNIQUE@', '..', '../../@MARK@', '/', ' ', '\u0000')),
  description: textValue,
  command: storedCommand,
  user: userValue,
  directory: directoryValue,
  environment: envValue,
  enabled: boolValue,
  boot: boolValue,
  autorestart: autorestartValue,
  exitcodes: exitcodesValue,
  priority: intValue,
  delay_seconds: numberValue,
  startsecs: numberValue,
  startretries: intValue,
  stopsignal: signalValue,
  stopwaitsecs: numberValue,
  stdout_logfile: logPath,
  stderr_logfile: logPath,
  redirect_stderr: boolValue,
  stdout_logfile_maxbytes: intValue,
  stdout_logfile_backups: intValue,
  stderr_logfile_maxbytes: intValue,
  stderr_logfile_backups: intValue,
  log_timestamps: boolValue,
  port_range: portRange,
}

/** Per route: a valid base body and the fields to corrupt. Other routes get random bodies. */
const BODY_FIELDS: Record<string, { base: Record<string, unknown>; fields: Record<string, fc.Arbitrary<unknown>> }> = {
  'POST /api/v1/daemon/programs/add': {
    base: { name: '@UNIQUE@', command: '@SLEEP@ 1000' },
    fields: { ...PROGRAM_FIELDS, id: fc.oneof(idValue, fc.constantFrom<unknown>('@UNIQUE@', 'fz-a', 'fz-p', '@EPH@')) },
  },
  'POST /api/v1/daemon/programs/edit/:id': {
    base: {},
    fields: { ...PROGRAM_FIELDS, id: fc.oneof(idValue, fc.constant<unknown>('fz-a')) },
  },
  'POST /api/v1/daemon/programs/:id/start': { base: {}, fields: { port: portValue } },
  'POST /api/v1/daemon/programs/:id/restart': { base: {}, fields: { port: portValue } },
  'POST /api/v1/daemon/programs/:id/stop': { base: {}, fields: { port: portValue, all: boolValue } },
  'POST /api/v1/daemon/quick-start': {
    base: { command: '@SLEEP@ 1000', name: 'fz-q' },
    fields: {
      // Only commands that fail validation: a valid random command would be run.
      command: commandValue.filter((v) => !(isHuge(v) && v.$huge === 'string' && v.n <= 16_384)),
      name: textValue,
      user: fc.oneof(fc.constantFrom<unknown>('', 'root', 'nobody', 'no-such-user-@MARK@', 'root\u0000', 'a'.repeat(33)), anyHostile.filter((v) => typeof v !== 'string')),
      directory: fc.oneof(fc.constantFrom<unknown>('', '/', '/tmp', 'relative', '../..', '/tmp/\u0000', `/${'d'.repeat(4097)}`), anyHostile.filter((v) => typeof v !== 'string')),
      environment: envValue,
      timeout_seconds: numberValue,
    },
  },
}

function fieldBody(key: string): fc.Arbitrary<BodySpec> {
  const table = BODY_FIELDS[key]
  if (table === undefined) return randomBody.map((b) => b ?? { json: {} })
  const names = Object.keys(table.fields)
  return fc.tuple(
    fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }),
    fc.array(fc.tuple(unknownKey, anyHostile), { maxLength: 1 }),
    fc.boolean(),
  ).chain(([chosen, unknown, dropBase]) => fc.tuple(...chosen.map((name) => table.fields[name]!)).map((values) => {
    const body: Record<string, unknown> = dropBase ? {} : { ...table.base }
    chosen.forEach((name, i) => { body[name] = values[i] })
    for (const [k, v] of unknown) body[k] = v
    return { json: body }
  }))
}

// ---------------------------------------------------------------------------------------------
// The properties.

export interface Property {
  name: string
  arbitrary: (routes: RouteEntry[]) => fc.Arbitrary<RequestSpec>
  examples?: (routes: RouteEntry[]) => RequestSpec[]
}

const routeIndex = (routes: RouteEntry[]) => fc.nat({ max: routes.length - 1 })
const find = (routes: RouteEntry[], method: string, url: string) => {
  const i = routes.findIndex((r) => r.method === method && r.url === `/api/v1/daemon${url}`)
  assert.ok(i >= 0, `route ${method} ${url} is in the route table`)
  return i
}

export const PROPERTIES: Property[] = [
  {
    name: 'every route, random JSON and garbage bodies',
    arbitrary: (routes) => fc.record({
      route: routeIndex(routes), id: idSpec, body: randomBody, auth: authSpec,
      // Every GET route answers HEAD too (the stream routes once never did).
      method: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant('HEAD') }),
    }),
    examples: (routes) => [
      { route: find(routes, 'POST', '/programs/add'), body: { text: '{"name":"x","command":' } },
      { route: find(routes, 'POST', '/programs/add'), body: { size: 1024 * 1024 + 1 } },
      { route: find(routes, 'POST', '/programs/add'), body: { json: { $huge: 'deep', n: 100_000 } } },
      { route: find(routes, 'POST', '/programs/reset'), body: { text: '{"__proto__":{"polluted":true}}' } },
      { route: find(routes, 'POST', '/programs/:id/start'), id: { fixture: 'a' }, body: { json: 'start' } },
      { route: find(routes, 'POST', '/quick-start'), body: { json: [] } },
      { route: find(routes, 'GET', '/programs/:id/logs/stream'), id: { fixture: 'a' }, method: 'HEAD' },
      { route: find(routes, 'GET', '/quick-start/:id/logs/stream'), id: { fixture: 'eph' }, method: 'HEAD', body: { text: '' }, chunked: true },
    ],
  },
  {
    name: 'wrong types, huge values, unicode, ports and log paths in every body field',
    arbitrary: (routes) => {
      const withBodies = routes.map((r, i) => ({ r, i })).filter(({ r }) => BODY_FIELDS[keyOf(r)] !== undefined)
      return fc.constantFrom(...withBodies).chain(({ r, i }) =>
        fc.record({ route: fc.constant(i), id: idSpec, body: fieldBody(keyOf(r)), query: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: queryString }) }))
    },
    examples: (routes) => [
      { route: find(routes, 'POST', '/programs/add'), body: { json: { name: 'x', command: 'sleep 1', stdout_logfile: '@OUT@/../../../../../tmp/@MARK@.log' } } },
      { route: find(routes, 'POST', '/programs/add'), body: { json: { name: 'x', command: 'sleep 1', id: '../../@MARK@' } } },
      { route: find(routes, 'POST', '/programs/add'), body: { json: { name: '../../@MARK@', command: 'sleep 1' } } },
      { route: find(routes, 'POST', '/programs/add'), body: { json: { name: 'x', command: 'sleep 1', port_range: { start: -1, end: 1.5 } } } },
      { route: find(routes, 'POST', '/programs/add'), body: { json: { name: { $huge: 'string', n: 1_000_000, unit: 'x' }, command: 'sleep 1' } } },
      { route: find(routes, 'POST', '/programs/edit/:id'), id: { fixture: 'a' }, body: { json: { stderr_logfile: '@OUT@/a\u0000b.log' } } },
      { route: find(routes, 'POST', '/programs/:id/start'), id: { fixture: 'p' }, body: { json: { port: '47101' } } },
      { route: find(routes, 'POST', '/programs/:id/stop'), id: { fixture: 'p' }, body: { json: { port: 1e21 } } },
      { route: find(routes, 'POST', '/quick-start'), body: { json: { command: 'sleep 1', environment: { A: '\u0000' } } } },
    ],
  },
  {
    name: 'path traversal, encodings and junk in ids and paths',
    arbitrary: (routes) => fc.oneof(
      { weight: 4, arbitrary: fc.record({ route: routeIndex(routes), id: idSpec, auth: authSpec }) },
      {
        weight: 1,
        arbitrary: fc.record({
          route: fc.constant(0),
          auth: authSpec,
          rawPath: fc.tuple(fc.constantFrom('/api/v1/daemon/', '/api/v1/daemon/programs/', '/api/v1/daemon/quick-start/', '/', '', '*', '//api//v1//daemon//programs',
            'http://127.0.0.1/api/v1/daemon/', 'http://evil.example/api/v1/daemon/health/../', '/api/v1/daemon/health/../', '/api/v1/daemon/health/..%2f',
            '/api/v1/daemon/health;/../', '/api/v1/daemon/health%3f/../', '/API/V1/DAEMON/'),
            fc.array(fc.oneof(idValue, fc.constantFrom('..', '.', 'programs', 'status', 'logs', 'fz-a', '%2e%2e', 'health', 'openapi.json', 'quick-start')), { maxLength: 5 }))
            .map(([prefix, parts]) => prefix + parts.join('/')),
          method: fc.constantFrom('GET', 'POST'),
        }),
      },
    ),
    examples: (routes) => [
      { route: find(routes, 'GET', '/programs/:id'), id: { raw: '..%2f..%2f..%2f..%2ftmp%2f@MARK@' } },
      { route: find(routes, 'GET', '/programs/:id/logs'), id: { raw: '%2e%2e%2f%2e%2e%2fdaemon.pid' } },
      { route: find(routes, 'POST', '/programs/remove/:id'), id: { raw: 'fz-a/../fz-p' } },
      { route: 0, rawPath: '/api/v1/daemon/programs/../programs/fz-a', method: 'GET' },
      { route: find(routes, 'GET', '/status/:id'), id: { raw: 'a\u0000b' } },
    ],
  },
  {
    name: 'odd query strings on every route',
    arbitrary: (routes) => fc.record({ route: routeIndex(routes), id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom<IdSpec>({ fixture: 'a' }, { fixture: 'p' }, { fixture: 'eph' }) }, { weight: 1, arbitrary: idSpec }), query: queryString }),
    examples: (routes) => ['lines=-1', 'lines=1e9', 'lines=1&lines=2', 'lines[]=1', 'lines=99999999999999999999', 'port=-1', 'port=1.5'].map((query) => ({
      route: find(routes, 'GET', '/programs/:id/logs'), id: { fixture: 'p' as const }, query,
    })),
  },
  {
    name: 'odd headers, content types, methods and framing',
    arbitrary: (routes) => fc.record({
      route: routeIndex(routes),
      id: fc.constantFrom<IdSpec>({ fixture: 'a' }, { fixture: 'p' }, { fixture: 'eph' }, { raw: 'nope' }),
      method: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'FOO', 'get', 'PROPFIND', 'SEARCH') }),
      contentType,
      headers: fc.array(extraHeader, { maxLength: 3 }),
      auth: authSpec,
      body: fc.oneof(randomBody, fc.constant<BodySpec>({ text: '' }), fc.constant<BodySpec>({ json: {} })),
      chunked: fc.boolean(),
    }),
    examples: (routes) => [
      { route: find(routes, 'POST', '/programs/add'), contentType: 'application/json' },
      { route: find(routes, 'POST', '/programs/add'), contentType: 'application/json', body: { text: '' } },
      { route: find(routes, 'POST', '/programs/add'), contentType: 'text/plain', body: { text: 'name=x&command=y' } },
      { route: find(routes, 'POST', '/programs/add'), contentType: 'application/json; charset=utf-16le', body: { json: { name: 'x' } } },
      { route: find(routes, 'GET', '/programs'), headers: [{ big: 70_000 }] },
      { route: find(routes, 'GET', '/health'), headers: [{ big: 20_000 }] },
      { route: find(routes, 'POST', '/programs/:id/stop'), id: { fixture: 'a' }, method: 'FOO' },
    ],
  },
]

export async function runProperty(world: World, property: Property, runs: number): Promise<void> {
  const seed = fuzzSeed()
  const examples = (property.examples?.(world.routes) ?? []).map((e) => [e] as [RequestSpec])
  await fc.assert(
    fc.asyncProperty(property.arbitrary(world.routes), async (spec) => {
      await exercise(world, spec)
      // exercise() checks that the process is alive after every request; /health every batch.
      if (++world.runs % HEALTH_EVERY === 0) await checkHealthy(world)
    }),
    { numRuns: runs, examples, ...(seed === undefined ? {} : { seed }), endOnFailure: process.env.HOODY_FUZZ_SHRINK !== '1' },
  )
}

// ---------------------------------------------------------------------------------------------
// Accepted ids, names and port ranges, started for real: their log files land in the logs dir,
// named after the program, and nowhere else.

export interface NewProgram {
  id?: string | undefined
  name: string
  ports?: [number, number] | undefined
}

/** Ids that share default log names with a fixture (see the todo test in hostile-input.test.ts). */
const sharesLogNames = (id: string) => /^fz-p-\d+$/.test(id) || /^eph-[0-9a-f]{12}$/.test(id)

export const newProgram: fc.Arbitrary<NewProgram> = fc.record({
  id: fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/), { nil: undefined }),
  name: fc.oneof(
    nastyString,
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    fc.constantFrom('..', '...a', 'A..B', 'Web Server', '../../etc/x', 'a/../../b', '\u00e9t\u00e9', '\u0130stanbul', 'stra\u00dfe', 'x.stdout.log',
      'x-47101', 'a\ud800b', '{{PORT}}', 'con', 'a'.repeat(128), 'fz-a ', ' FZ-P'),
  ),
  ports: fc.option(fc.tuple(fc.integer({ min: 47110, max: 47190 }), fc.integer({ min: 0, max: 2 })), { nil: undefined }),
}, { requiredKeys: ['name'] }).filter((p) => !sharesLogNames(p.id ?? p.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')))

export async function acceptedProgram(world: World, spec: NewProgram): Promise<void> {
  const { daemon } = world
  const range = spec.ports === undefined ? undefined : { start: spec.ports[0], end: spec.ports[0] + spec.ports[1] }
  const body = {
    name: spec.name, command: `${SLEEP} 1000`, startsecs: 0, stopwaitsecs: 2, startretries: 0, autorestart: false,
    ...(spec.id === undefined ? {} : { id: spec.id }), ...(range === undefined ? {} : { port_range: range }),
  }
  const what = `add ${JSON.stringify(body)}`
  const before = await state(world)
  const added = await rawRequest(world.port, {
    method: 'POST', target: '/api/v1/daemon/programs/add', body: Buffer.from(JSON.stringify(body)),
    headers: [['authorization', `Bearer ${TOKEN}`], ['content-type', 'application/json']],
  }, REQUEST_TIMEOUT_MS)
  checkAnswer(added, 'POST', what)
  count(world, `add ${added.status}`)
  if (added.status !== 201) {
    assert.deepEqual(await state(world), before, `state changed by a refused ${what}`)
    checkFilesystem(world, what)
    return
  }
  const id = (added.json as { program: { id: string } }).program.id
  assert.match(id, /^[a-z0-9][a-z0-9._-]{0,63}$/, what)
  checkFilesystem(world, what)
  try {
    const started = await daemon.post(`/programs/${id}/start`)
    assert.equal(started.status, 200, `start after ${what}: ${JSON.stringify(started.body)}`)
    const bases = range === undefined ? [id] : Array.from({ length: range.end - range.start + 1 }, (_, i) => `${id}-${range.start + i}`)
    for (const base of bases) {
      for (const stream of ['stdout', 'stderr']) {
        const path = join(world.dataDir, 'logs', `${base}.${stream}.log`)
        assert.ok(existsSync(path), `${path} exists after starting, for ${what}`)
      }
    }
    checkFilesystem(world, `start of ${id}`)
  } finally {
    assert.equal((await daemon.post(`/programs/remove/${id}`)).status, 200, `remove ${id}`)
  }
  checkFilesystem(world, `remove of ${id}`)
}

export async function runAcceptedProgramsProperty(world: World, runs: number): Promise<void> {
  const seed = fuzzSeed()
  await fc.assert(
    fc.asyncProperty(newProgram, async (spec) => {
      await acceptedProgram(world, spec)
      if (++world.runs % HEALTH_EVERY === 0) await checkHealthy(world)
    }),
    {
      numRuns: runs, ...(seed === undefined ? {} : { seed }), endOnFailure: process.env.HOODY_FUZZ_SHRINK !== '1',
      examples: [[{ name: '../../x', id: 'a..' }], [{ name: 'Web Server', ports: [47110, 2] }], [{ name: 'a\ud800b', id: 'lone' }]],
    },
  )
}

/** Every property, one subtest each, against one daemon; the tally of answers as a diagnostic. */
export async function runAllProperties(t: TestContext, runs: number): Promise<void> {
  const world = await startWorld(t)
  // HOODY_FUZZ_ONLY=<part of a property's name> runs just that one (to replay a seed).
  const only = process.env.HOODY_FUZZ_ONLY ?? ''
  for (const property of PROPERTIES) {
    await t.test(property.name, { skip: !property.name.includes(only) }, async () => {
      await runProperty(world, property, runs)
      await checkHealthy(world)
    })
  }
  // Each run adds, starts, stops and removes a program: a third of the runs.
  const accepted = 'accepted ids, names and port ranges keep their log files in the logs dir'
  await t.test(accepted, { skip: !accepted.includes(only) }, async () => {
    await runAcceptedProgramsProperty(world, Math.ceil(runs / 3))
    await checkHealthy(world)
  })
  t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries([...world.stats].sort()))}`)
}
