// Model-based testing of the real daemon (fast-check's fc.commands + fc.asyncModelRun).
//
// A random sequence of steps drives one real daemon (spawned from dist/). A step is either one
// API call (add, edit, start, stop, restart, remove, enable, disable, reset), checked exactly
// against a model of what the contract promises, or a batch of 2-4 calls fired at once
// (Promise.all, usually on the same program, some calls a little later) to create real races. A
// batch is accepted when some order of its calls (a linearisation) explains every answer and the
// state the daemon settles in. Programs are `sleep 7<base><slot><variant>[<port>]`: quick
// (startsecs 0 or 1, stopwaitsecs 1) and countable in /proc; one of them ignores SIGTERM, so its
// stops take a second and end in SIGKILL (a long STOPPING to race in).
//
// After every step the daemon is left to settle (no STARTING/STOPPING/BACKOFF) and then:
// - GET /programs (ids, order, edited fields) and programs.json equal the model;
// - every instance is RUNNING or STOPPED exactly as the model says; RUNNING has a live pid;
// - /proc agrees: at most one live process per instance (counted by a unique argv), that
//   process is the one the status names and runs the program's current command, and no process
//   is left for a stopped instance or a removed program;
// - /status and /status/{id} agree; a removed program is PROGRAM_NOT_FOUND.
// While a batch is in flight, /proc is sampled continually: never two live processes for one
// instance, not even for a moment.
//
// Used by test/api/model.test.ts (few runs, part of `npm test`) and test/stress/model.test.ts.
// HOODY_MODEL_RUNS overrides the number of runs, HOODY_MODEL_SEED (and HOODY_MODEL_PATH) replay
// a failing run: fast-check prints both with the counterexample.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import fc from 'fast-check'
import { cleanup } from './cleanup.js'
import { startDaemon, type DaemonHandle, type Reply } from './daemon.js'
import { freePorts } from './ports.js'
import { isAlive, killQuietly } from './proc.js'
import { waitFor } from './wait.js'

// ---------------------------------------------------------------------------------------------
// Settings

export function modelRuns(fallback: number): number {
  const raw = process.env.HOODY_MODEL_RUNS
  if (raw === undefined || raw === '') return fallback
  const runs = Number(raw)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`HOODY_MODEL_RUNS must be a positive integer, not ${JSON.stringify(raw)}`)
  return runs
}

export interface ModelOptions {
  runs: number
  /** Steps per run at most. */
  maxCommands: number
}

/** Five random digits that make this test process's argv unique system-wide. */
const BASE = String(10_000 + Math.floor(Math.random() * 90_000))
const ARGV = new RegExp(`^7${BASE}(\\d)([01])(\\d*)$`)
const SETTLE_MS = 20_000
const SETTLED = new Set(['RUNNING', 'STOPPED', 'EXITED', 'FATAL'])

/**
 * The fixed program slots: ids, whether the program has a two-port range, and whether it ignores
 * SIGTERM (a stop then takes stopwaitsecs, 1 s, and ends in SIGKILL: a long STOPPING to race in).
 */
const SLOTS = [
  { id: 'm0', range: false, deaf: false },
  { id: 'm1', range: false, deaf: false },
  { id: 'm2', range: true, deaf: false },
  { id: 'm3', range: false, deaf: true },
] as const
/** A program's own name (or the same in capitals: a rename to itself), or one all slots share. */
type NameChoice = 'own' | 'OWN' | 'Shared' | 'shared'
const nameOf = (choice: NameChoice, slot: number) => (choice === 'own' ? `Prog ${idOf(slot)}` : choice === 'OWN' ? `PROG ${idOf(slot)}` : choice)
const DESCRIPTIONS = ['', 'first', 'second', 'café ☕ "quoted"'] as const
const PRIORITIES = [1, 5, 999] as const

// ---------------------------------------------------------------------------------------------
// Operations and the model

type Variant = 0 | 1
type PortChoice = 'none' | 'first' | 'second' | 'bad' | 'all'

interface EditPatch {
  name?: string
  description?: string
  variant?: Variant
  startsecs?: 0 | 1
  priority?: number
  enabled?: boolean
}

type Op = (
  | { kind: 'add'; slot: number; name: string; variant: Variant; startsecs: 0 | 1; priority: number; enabled: boolean }
  | { kind: 'edit'; slot: number; patch: EditPatch }
  | { kind: 'start' | 'restart'; slot: number; port: PortChoice; wait: boolean }
  | { kind: 'stop'; slot: number; port: PortChoice }
  | { kind: 'remove' | 'enable' | 'disable'; slot: number }
  | { kind: 'reset' }
) & {
  /** Run even when pointless (a command on a missing program, an add of an existing one). */
  force?: boolean
}

interface ModelProgram {
  id: string
  slot: number
  name: string
  description: string
  variant: Variant
  startsecs: 0 | 1
  priority: number
  enabled: boolean
  /** Instance port (0 for a single instance) → expected to run. */
  running: Record<string, boolean>
}

interface Model {
  programs: Map<string, ModelProgram>
}

interface Real {
  daemon: DaemonHandle
  /** First port of the range slot's two ports. */
  port: number
  /** Pids last seen per instance key (`slot:port`), from the last state check. */
  pids: Map<string, number>
  /** Every process of ours ever seen, killed (if still ours) when the test ends. */
  seen: Set<number>
  /** The state seen by the last check (the state before the next step). */
  last?: Observed | undefined
}

/** What an answer may be: HTTP status, error code, and was_running for remove/disable. */
interface Outcome {
  status: number
  code?: string
  wasRunning?: boolean
}

const idOf = (slot: number) => SLOTS[slot]?.id ?? `m${slot}`
const isRange = (slot: number) => SLOTS[slot]?.range === true
/** A sleep with a unique argv; the deaf one ignores SIGTERM (an ignored signal stays ignored across exec). */
function commandOf(slot: number, variant: Variant): string {
  const sleep = `sleep 7${BASE}${slot}${variant}${isRange(slot) ? '{{PORT}}' : ''}`
  return SLOTS[slot]?.deaf === true ? `sh -c "trap '' TERM; exec ${sleep}"` : sleep
}
const keyOf = (slot: number, port: number) => `${slot}:${port}`

function portsOf(slot: number, first: number): number[] {
  return isRange(slot) ? [first, first + 1] : [0]
}

function portValue(choice: PortChoice, first: number): number | undefined {
  switch (choice) {
    case 'first': return first
    case 'second': return first + 1
    case 'bad': return first + 7
    case 'none':
    case 'all':
      return undefined
  }
}

/** The instance ports an op names, or 'invalid' when its port is not one of the program's. */
function selectedPorts(slot: number, choice: PortChoice, first: number): number[] | 'invalid' {
  const ports = portsOf(slot, first)
  const port = portValue(choice, first)
  if (port === undefined) return ports
  return ports.includes(port) ? [port] : 'invalid'
}

function cloneModel(model: Model): Model {
  return { programs: new Map([...model.programs].map(([id, p]) => [id, { ...p, running: { ...p.running } }])) }
}

const anyRunning = (p: ModelProgram) => Object.values(p.running).some(Boolean)

function nameTaken(model: Model, name: string, except?: string): boolean {
  const lower = name.toLowerCase()
  return [...model.programs.values()].some((p) => p.id !== except && p.name.toLowerCase() === lower)
}

/**
 * The contract applied to the model: the answers the op may get and the model after it. A
 * refused op leaves the model as it was; several outcomes mean the contract does not say which
 * of two applicable errors comes first.
 */
function applyOp(model: Model, op: Op, first: number): { outcomes: Outcome[]; next: Model } {
  const next = cloneModel(model)
  const refuse = (...outcomes: Outcome[]) => ({ outcomes, next: model })
  if (op.kind === 'reset') {
    next.programs.clear()
    return { outcomes: [{ status: 200 }], next }
  }
  const id = idOf(op.slot)
  const program = next.programs.get(id)
  if (op.kind === 'add') {
    if (program !== undefined || nameTaken(model, op.name)) return refuse({ status: 409, code: 'PROGRAM_ALREADY_EXISTS' })
    const running = Object.fromEntries(portsOf(op.slot, first).map((port) => [String(port), false]))
    next.programs.set(id, {
      id, slot: op.slot, name: op.name, description: '', variant: op.variant, startsecs: op.startsecs,
      priority: op.priority, enabled: op.enabled, running,
    })
    return { outcomes: [{ status: 201 }], next }
  }
  if (program === undefined) return refuse({ status: 404, code: 'PROGRAM_NOT_FOUND' })
  switch (op.kind) {
    case 'edit': {
      const refusals: Outcome[] = []
      if (anyRunning(program)) refusals.push({ status: 409, code: 'PROGRAM_RUNNING' })
      if (op.patch.name !== undefined && nameTaken(model, op.patch.name, id)) refusals.push({ status: 409, code: 'PROGRAM_ALREADY_EXISTS' })
      if (refusals.length > 0) return refuse(...refusals)
      const { variant, ...fields } = op.patch
      Object.assign(program, fields, variant === undefined ? {} : { variant })
      return { outcomes: [{ status: 200 }], next }
    }
    case 'start':
    case 'restart': {
      const ports = selectedPorts(op.slot, op.port, first)
      const refusals: Outcome[] = []
      if (!program.enabled) refusals.push({ status: 409, code: 'PROGRAM_DISABLED' })
      if (ports === 'invalid') refusals.push({ status: 400, code: 'INVALID_PORT' })
      if (refusals.length > 0 || ports === 'invalid') return refuse(...refusals)
      for (const port of ports) program.running[String(port)] = true
      return { outcomes: [{ status: 200 }], next }
    }
    case 'stop': {
      const ports = selectedPorts(op.slot, op.port, first)
      if (ports === 'invalid') return refuse({ status: 400, code: 'INVALID_PORT' })
      for (const port of ports) program.running[String(port)] = false
      return { outcomes: [{ status: 200 }], next }
    }
    case 'remove':
      next.programs.delete(id)
      return { outcomes: [{ status: 200, wasRunning: anyRunning(program) }], next }
    case 'enable':
      program.enabled = true
      return { outcomes: [{ status: 200 }], next }
    case 'disable': {
      const wasRunning = anyRunning(program)
      program.enabled = false
      for (const port of Object.keys(program.running)) program.running[port] = false
      return { outcomes: [{ status: 200, wasRunning }], next }
    }
  }
}

function matches(reply: Reply, outcome: Outcome): boolean {
  if (reply.status !== outcome.status) return false
  if (outcome.code !== undefined && reply.body?.code !== outcome.code) return false
  if (outcome.wasRunning !== undefined && reply.body?.was_running !== outcome.wasRunning) return false
  return true
}

// ---------------------------------------------------------------------------------------------
// Talking to the daemon

function opString(op: Op): string {
  switch (op.kind) {
    case 'reset': return 'reset()'
    case 'add': return `add(${idOf(op.slot)}, name=${op.name}, v${op.variant}, startsecs=${op.startsecs}, prio=${op.priority}${op.enabled ? '' : ', disabled'})`
    case 'edit': return `edit(${idOf(op.slot)}, ${JSON.stringify(op.patch)})`
    case 'start':
    case 'restart': return `${op.kind}(${idOf(op.slot)}${op.port === 'none' ? '' : `, port=${op.port}`}${op.wait ? '' : ', wait=false'})`
    case 'stop': return `stop(${idOf(op.slot)}${op.port === 'none' ? '' : `, port=${op.port}`})`
    case 'remove':
    case 'enable':
    case 'disable': return `${op.kind}(${idOf(op.slot)})`
  }
}

function send(daemon: DaemonHandle, op: Op, first: number): Promise<Reply> {
  if (op.kind === 'reset') return daemon.post('/programs/reset')
  const id = idOf(op.slot)
  switch (op.kind) {
    case 'add':
      return daemon.post('/programs/add', {
        id, name: op.name, command: commandOf(op.slot, op.variant), startsecs: op.startsecs, stopwaitsecs: 1,
        priority: op.priority, enabled: op.enabled, ...(isRange(op.slot) ? { port_range: { start: first, end: first + 1 } } : {}),
      })
    case 'edit': {
      const { variant, ...fields } = op.patch
      return daemon.post(`/programs/edit/${id}`, { ...fields, ...(variant === undefined ? {} : { command: commandOf(op.slot, variant) }) })
    }
    case 'start':
    case 'restart':
    case 'stop': {
      const port = portValue(op.port, first)
      const body = op.port === 'all' ? { all: true } : port === undefined ? undefined : { port }
      const query = op.kind !== 'stop' && !op.wait ? '?wait=false' : ''
      return daemon.post(`/programs/${id}/${op.kind}${query}`, body)
    }
    case 'remove':
      return daemon.post(`/programs/remove/${id}`)
    case 'enable':
    case 'disable':
      return daemon.post(`/programs/${id}/${op.kind}`)
  }
}

const replyString = (reply: Reply) => `${reply.status} ${JSON.stringify(reply.body)}`

// ---------------------------------------------------------------------------------------------
// Observing the daemon and the kernel

interface OurProcess {
  pid: number
  slot: number
  variant: number
  port: number
}

/** Live (not zombie) processes carrying this test's argv, from /proc. */
function ourProcesses(): OurProcess[] {
  const found: OurProcess[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
    } catch {
      continue
    }
    if (argv.length !== 3 || !(argv[0] === 'sleep' || argv[0]?.endsWith('/sleep') === true)) continue
    const match = ARGV.exec(argv[1] ?? '')
    if (match === null) continue
    const pid = Number(entry)
    if (!isAlive(pid)) continue
    found.push({ pid, slot: Number(match[1]), variant: Number(match[2]), port: match[3] === '' ? 0 : Number(match[3]) })
  }
  return found
}

/** At most one live process per instance. */
function checkNoDuplicates(processes: OurProcess[], when: string): void {
  const byInstance = new Map<string, number[]>()
  for (const p of processes) byInstance.set(keyOf(p.slot, p.port), [...(byInstance.get(keyOf(p.slot, p.port)) ?? []), p.pid])
  for (const [key, pids] of byInstance) {
    assert.ok(pids.length <= 1, `${when}: two live processes for one instance ${key}: pids ${pids.join(', ')}`)
  }
}

/** Poll /status until no instance is in a transient state, twice in a row; returns the list. */
async function settle(daemon: DaemonHandle): Promise<any[]> {
  let stableOnce = false
  return waitFor(async () => {
    const reply = await daemon.get('/status')
    assert.equal(reply.status, 200, `GET /status: ${replyString(reply)}`)
    const list = reply.body as any[]
    const states = list.flatMap((s) => (Array.isArray(s.instances) ? s.instances.map((i: any) => i.status) : [s.status]))
    const settled = states.every((state: string) => SETTLED.has(state))
    if (!settled) {
      stableOnce = false
      return undefined
    }
    if (!stableOnce) {
      stableOnce = true
      return undefined
    }
    return list
  }, { timeoutMs: SETTLE_MS, intervalMs: 25, message: 'the daemon to settle (no STARTING/STOPPING/BACKOFF)' })
}

interface Observed {
  /** Canonical text of the abstract state, comparable with abstractOf(model). */
  abstract: string
  programs: any[]
  statuses: any[]
}

/** The part of a program and its status the model predicts, canonically. */
function abstractOf(model: Model, first: number): string {
  const programs = [...model.programs.values()]
    .sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1))
    .map((p) => ({
      id: p.id, name: p.name, description: p.description, command: commandOf(p.slot, p.variant), startsecs: p.startsecs,
      priority: p.priority, enabled: p.enabled,
      port_range: isRange(p.slot) ? { start: first, end: first + 1 } : { start: 0, end: 0 },
      states: portsOf(p.slot, first).map((port) => `${port}:${p.running[String(port)] === true ? 'RUNNING' : 'STOPPED'}`),
    }))
  return JSON.stringify(programs, null, 1)
}

async function observe(real: Real): Promise<Observed> {
  const statuses = await settle(real.daemon)
  const reply = await real.daemon.get('/programs')
  assert.equal(reply.status, 200)
  const programs = reply.body as any[]
  const byId = new Map(statuses.map((s) => [s.id as string, s]))
  const abstract = programs.map((p) => {
    const status = byId.get(p.id)
    const instances: any[] = status === undefined ? [] : Array.isArray(status.instances) ? status.instances : [{ port: 0, status: status.status }]
    return {
      id: p.id, name: p.name, description: p.description, command: p.command, startsecs: p.startsecs, priority: p.priority,
      enabled: p.enabled, port_range: p.port_range, states: instances.map((i) => `${i.port}:${i.status}`),
    }
  })
  return { abstract: JSON.stringify(abstract, null, 1), programs, statuses }
}

/** Invariants that hold whatever the model says: status, /proc and programs.json agree. */
async function checkConsistency(real: Real, observed: Observed): Promise<void> {
  const { daemon } = real
  const processes = ourProcesses()
  for (const p of processes) real.seen.add(p.pid)
  checkNoDuplicates(processes, 'settled')
  const programs = new Map(observed.programs.map((p) => [p.id as string, p]))
  assert.deepEqual(observed.statuses.map((s) => s.id), observed.programs.map((p) => p.id), '/status lists the programs of /programs, in order')
  const expectedLive = new Map<string, { pid: number; variant: number; id: string }>()
  const pids = new Map<string, number>()
  for (const status of observed.statuses) {
    const program = programs.get(status.id)
    const slot = SLOTS.findIndex((s) => s.id === status.id)
    const variant = program?.command === commandOf(slot, 1) ? 1 : 0
    const instances: any[] = Array.isArray(status.instances) ? status.instances : [{ port: 0, status: status.status, pid: status.pid }]
    for (const instance of instances) {
      const where = `${status.id}${instance.port === 0 ? '' : `:${instance.port}`}`
      if (instance.status === 'RUNNING') {
        assert.equal(typeof instance.pid, 'number', `${where} is RUNNING with pid ${instance.pid}`)
        assert.ok(isAlive(instance.pid), `${where} is RUNNING but its pid ${instance.pid} is not alive`)
        expectedLive.set(keyOf(slot, instance.port), { pid: instance.pid, variant, id: status.id })
        pids.set(keyOf(slot, instance.port), instance.pid)
      } else {
        assert.equal(instance.pid, null, `${where} is ${instance.status} with pid ${instance.pid}`)
      }
    }
    // The single-program view answers the same (no stale cache).
    const one = await daemon.get(`/status/${status.id}`)
    assert.equal(one.status, 200)
    assert.deepEqual([one.body.status, one.body.pid], [status.status, status.pid], `/status/${status.id} agrees with /status`)
  }
  for (const p of processes) {
    const expected = expectedLive.get(keyOf(p.slot, p.port))
    const instance = `${idOf(p.slot)}${p.port === 0 ? '' : `:${p.port}`}`
    assert.ok(expected !== undefined, `pid ${p.pid} of ${instance} is alive but the daemon reports no RUNNING instance for it (${JSON.stringify(observed.statuses.find((s) => s.id === idOf(p.slot)) ?? 'removed')})`)
    assert.equal(p.pid, expected.pid, `${instance}: the live process is pid ${p.pid}, the status says ${expected.pid}`)
    assert.equal(p.variant, expected.variant, `${instance} runs command variant ${p.variant}, the program says ${expected.variant}`)
  }
  for (const [key, expected] of expectedLive) {
    assert.ok(processes.some((p) => keyOf(p.slot, p.port) === key && p.pid === expected.pid), `${expected.id} (${key}) RUNNING as pid ${expected.pid}, which does not run its command`)
  }
  real.pids = pids
  // programs.json is what GET /programs answers (saved before the change was acknowledged).
  let stored: unknown = []
  try {
    stored = JSON.parse(readFileSync(join(daemon.dataDir, 'programs.json'), 'utf8'))
  } catch (error) {
    // Never written yet: fine while nothing was ever added.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || observed.programs.length > 0) throw error
  }
  assert.deepEqual(stored, observed.programs, 'programs.json equals GET /programs')
  for (const slot of SLOTS) {
    if (programs.has(slot.id)) continue
    for (const path of [`/programs/${slot.id}`, `/status/${slot.id}`]) {
      const reply = await daemon.get(path)
      assert.deepEqual([reply.status, reply.body?.code], [404, 'PROGRAM_NOT_FOUND'], `GET ${path} of a removed program`)
    }
  }
}

async function checkModel(real: Real, model: Model): Promise<Observed> {
  const observed = await observe(real)
  await checkConsistency(real, observed)
  assert.equal(observed.abstract, abstractOf(model, real.port), 'the daemon equals the model')
  real.last = observed
  return observed
}

// ---------------------------------------------------------------------------------------------
// Commands

/** Whether an op does something in this model (else it runs only when forced). */
function meaningful(model: Model, op: Op): boolean {
  if (op.kind === 'reset' || op.force === true) return true
  const exists = model.programs.has(idOf(op.slot))
  return op.kind === 'add' ? !exists : exists
}

class SingleCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly op: Op) {}

  check(model: Readonly<Model>): boolean {
    return meaningful(model, this.op)
  }

  async run(model: Model, real: Real): Promise<void> {
    const { op } = this
    const { daemon } = real
    const first = real.port
    const before = real.last ?? await observe(real)
    const { outcomes, next } = applyOp(model, op, first)
    const reply = await send(daemon, op, first)
    stats.steps++
    stats.calls++
    if (reply.status >= 400) stats.refused++
    count(reply)
    const what = `${opString(op)} answered ${replyString(reply)}`
    assert.ok(outcomes.some((o) => matches(reply, o)), `${what}; expected ${JSON.stringify(outcomes)}`)
    if (reply.status >= 400) {
      assert.equal(reply.body.success, false, what)
      assert.equal(typeof reply.body.error, 'string', what)
      const after = await observe(real)
      assert.deepEqual(after.programs, before.programs, `${what}: a refused command changed the programs`)
      assert.deepEqual(after.statuses.map(brief), before.statuses.map(brief), `${what}: a refused command changed a status`)
    } else {
      this.checkAnswer(model, real, reply, what)
    }
    model.programs = next.programs
    await checkModel(real, model)
  }

  /** What a sequential (uncontended) answer says beyond its code. */
  private checkAnswer(model: Model, real: Real, reply: Reply, what: string): void {
    const { op } = this
    const first = real.port
    assert.equal(reply.body.success, true, what)
    if (op.kind === 'reset') {
      assert.equal(reply.body.programs_count, 0, what)
      assert.deepEqual(ourProcesses(), [], `${what}: processes left after reset`)
      return
    }
    const program = model.programs.get(idOf(op.slot))
    switch (op.kind) {
      case 'add':
      case 'edit': {
        assert.equal(reply.body.program.id, idOf(op.slot), what)
        const expected = applyOp(model, op, first).next.programs.get(idOf(op.slot))
        assert.equal(reply.body.program.name, expected?.name, what)
        assert.equal(reply.body.program.command, expected === undefined ? undefined : commandOf(expected.slot, expected.variant), what)
        assert.equal(reply.body.program.enabled, expected?.enabled, what)
        break
      }
      case 'start':
      case 'restart': {
        if (program === undefined) break
        const ports = selectedPorts(op.slot, op.port, first)
        if (ports === 'invalid') break
        const instances: { port: number; status: string; pid: number | null }[] = Array.isArray(reply.body.instances)
          ? reply.body.instances
          : [{ port: reply.body.port ?? 0, status: reply.body.status, pid: reply.body.pid }]
        for (const port of ports) {
          const instance = instances.find((i) => i.port === port)
          assert.ok(instance !== undefined, `${what}: no answer for port ${port}`)
          const previous = real.pids.get(keyOf(op.slot, port))
          // A restart?wait=false answers before its stop is done: STOPPING, with the old pid.
          if (op.kind === 'restart' && !op.wait && instance.status === 'STOPPING' && instance.pid === previous) continue
          assert.ok(op.wait ? instance.status === 'RUNNING' : ['STARTING', 'RUNNING'].includes(instance.status), `${what}: port ${port} is ${instance.status}`)
          assert.ok(instance.pid !== null && isAlive(instance.pid), `${what}: port ${port} has no live pid`)
          if (previous !== undefined && program.running[String(port)] === true) {
            if (op.kind === 'start') assert.equal(instance.pid, previous, `${what}: a start of a running instance keeps its process`)
            else assert.notEqual(instance.pid, previous, `${what}: a restart replaces the process`)
            if (op.kind === 'restart') assert.equal(isAlive(previous), false, `${what}: the old process ${previous} is still alive`)
          }
        }
        break
      }
      case 'stop':
      case 'remove':
      case 'disable': {
        // The answer comes once the processes are gone.
        const ports = op.kind === 'stop' ? selectedPorts(op.slot, op.port, first) : portsOf(op.slot, first)
        if (ports === 'invalid') break
        const left = ourProcesses().filter((p) => p.slot === op.slot && ports.includes(p.port))
        assert.deepEqual(left, [], `${what}: processes still alive when the answer came`)
        if (op.kind === 'disable') {
          const wasRunning = program !== undefined && anyRunning(program)
          assert.deepEqual(reply.body.actions, wasRunning ? ['disabled', 'stopped'] : ['disabled'], what)
        }
        if (op.kind === 'stop' && isRange(op.slot) && (op.port === 'none' || op.port === 'all') && program !== undefined) {
          const running = portsOf(op.slot, first).filter((port) => program.running[String(port)] === true)
          assert.deepEqual([...reply.body.stopped_ports].sort(), running, `${what}: stopped_ports`)
        }
        break
      }
      case 'enable':
        break
    }
  }

  toString(): string {
    return opString(this.op)
  }
}

/** What the runs did, for the test's diagnostics. */
const stats = { steps: 0, batches: 0, calls: 0, refused: 0, codes: {} as Record<string, number> }

function count(reply: Reply): void {
  const key = reply.status >= 400 ? String(reply.body?.code) : String(reply.status)
  stats.codes[key] = (stats.codes[key] ?? 0) + 1
}

const brief = (s: any) => JSON.stringify([s.id, s.status, s.pid, (s.instances ?? []).map((i: any) => [i.port, i.status, i.pid])])

function permutations(n: number): number[][] {
  if (n === 0) return [[]]
  return permutations(n - 1).flatMap((rest) => Array.from({ length: n }, (_, at) => [...rest.slice(0, at), n - 1, ...rest.slice(at)]))
}

interface Timed {
  op: Op
  /** Sent this long after the batch begins: calls land in each other's STARTING/STOPPING. */
  delayMs: number
}

class BatchCommand implements fc.AsyncCommand<Model, Real> {
  readonly ops: Op[]
  readonly delays: number[]

  constructor(timed: Timed[]) {
    this.ops = timed.map((t) => t.op)
    this.delays = timed.map((t) => t.delayMs)
  }

  /** Every call does something in some order (a start racing the add that creates its program). */
  check(model: Readonly<Model>): boolean {
    return this.ops.every((op) => {
      if (meaningful(model, op) || op.kind === 'reset') return true
      const others = this.ops.filter((other) => other !== op)
      const slotOf = (other: Op) => (other.kind === 'reset' ? undefined : other.slot)
      if (op.kind === 'add') return others.some((other) => other.kind === 'reset' || (other.kind === 'remove' && other.slot === op.slot))
      return others.some((other) => other.kind === 'add' && slotOf(other) === op.slot)
    })
  }

  async run(model: Model, real: Real): Promise<void> {
    const { daemon } = real
    const first = real.port
    // Sample /proc while the calls are in flight: never two processes for one instance.
    const flight: { done: boolean; violation?: Error } = { done: false }
    const sampler = (async () => {
      while (!flight.done && flight.violation === undefined) {
        try {
          const processes = ourProcesses()
          for (const p of processes) real.seen.add(p.pid)
          checkNoDuplicates(processes, `during ${this.toString()}`)
        } catch (error) {
          flight.violation = error as Error
        }
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    let replies: Reply[]
    try {
      replies = await Promise.all(this.ops.map(async (op, i) => {
        const delay = this.delays[i] ?? 0
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
        return send(daemon, op, first)
      }))
    } finally {
      flight.done = true
      await sampler
    }
    stats.steps++
    stats.batches++
    stats.calls += replies.length
    stats.refused += replies.filter((r) => r.status >= 400).length
    replies.forEach(count)
    const answers = this.ops.map((op, i) => `  ${opString(op)} → ${replyString(replies[i] as Reply)}`).join('\n')
    if (flight.violation !== undefined) throw new Error(`${flight.violation.message}\n${answers}`)
    for (const reply of replies) {
      assert.ok(reply.status < 500, `a concurrent call failed with a 5xx:\n${answers}`)
      assert.equal(reply.body.success, reply.status < 400, `envelope:\n${answers}`)
    }
    const observed = await observe(real)
    await checkConsistency(real, observed)
    real.last = observed
    // Some order of the calls explains every answer and the final state.
    const explained: Model[] = []
    for (const order of permutations(this.ops.length)) {
      let state = model
      let consistent = true
      for (const index of order) {
        const op = this.ops[index] as Op
        const { outcomes, next } = applyOp(state, op, first)
        // A stop does not queue behind the program's other commands: a remove or disable racing it
        // may see the process still running and say was_running: true while the stop answers 200.
        // Both are right about the process, so was_running is not pinned then.
        if (op.kind !== 'reset' && this.ops.some((other) => other.kind === 'stop' && other.slot === op.slot)) {
          for (const outcome of outcomes) delete outcome.wasRunning
        }
        if (!outcomes.some((o) => matches(replies[index] as Reply, o))) {
          consistent = false
          break
        }
        state = next
      }
      if (consistent) explained.push(state)
    }
    assert.ok(explained.length > 0, `no order of the concurrent calls explains their answers:\n${answers}`)
    const final = explained.find((state) => abstractOf(state, first) === observed.abstract)
    assert.ok(final !== undefined, `no order of the concurrent calls explains the state the daemon settled in:\n${answers}\nobserved: ${observed.abstract}\nexpected one of:\n${[...new Set(explained.map((s) => abstractOf(s, first)))].join('\n')}`)
    model.programs = final.programs
  }

  toString(): string {
    return `concurrently[${this.ops.map((op, i) => `${opString(op)}${this.delays[i] === 0 ? '' : ` +${this.delays[i]}ms`}`).join(' | ')}]`
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const variantArb = fc.constantFrom<Variant>(0, 1)
// startsecs 1 makes a STARTING window to race in; it also costs a second per waiting start.
const startsecsArb = fc.oneof({ arbitrary: fc.constant<0 | 1>(0), weight: 3 }, { arbitrary: fc.constant<0 | 1>(1), weight: 1 })

function opArb(slotArb: fc.Arbitrary<number>): fc.Arbitrary<Op> {
  const portArb = fc.oneof(
    { arbitrary: fc.constant<PortChoice>('none'), weight: 6 },
    { arbitrary: fc.constantFrom<PortChoice>('first', 'second'), weight: 3 },
    { arbitrary: fc.constant<PortChoice>('bad'), weight: 1 },
  )
  const stopPortArb = fc.oneof({ arbitrary: portArb, weight: 9 }, { arbitrary: fc.constant<PortChoice>('all'), weight: 1 })
  const nameArb = fc.oneof({ arbitrary: fc.constantFrom('own' as const, 'OWN' as const), weight: 3 }, { arbitrary: fc.constantFrom('Shared' as const, 'shared' as const), weight: 1 })
  const forceArb = fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 })
  const patchArb = fc.record({
    name: nameArb,
    description: fc.constantFrom(...DESCRIPTIONS),
    variant: variantArb,
    startsecs: startsecsArb,
    priority: fc.constantFrom(...PRIORITIES),
    enabled: fc.boolean(),
  }, { requiredKeys: [] }).filter((patch) => Object.keys(patch).length > 0)
  // A single-instance program mostly gets no port; now and then a port it does not have.
  const fixPort = <T extends { slot: number; port: PortChoice }>(op: T): T =>
    !isRange(op.slot) && (op.port === 'first' || op.port === 'second') ? { ...op, port: 'none' } : op
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('add' as const), slot: slotArb, name: nameArb, variant: variantArb, startsecs: startsecsArb,
        priority: fc.constantFrom(...PRIORITIES), enabled: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
        force: forceArb,
      }).map((op) => ({ ...op, name: nameOf(op.name, op.slot) })),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('edit' as const), slot: slotArb, patch: patchArb, force: forceArb })
        .map(({ patch: { name, ...patch }, ...op }) => ({ ...op, patch: { ...patch, ...(name === undefined ? {} : { name: nameOf(name, op.slot) }) } })),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('start' as const), slot: slotArb, port: portArb, wait: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }), force: forceArb }).map(fixPort) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), slot: slotArb, port: portArb, wait: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }), force: forceArb }).map(fixPort) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('stop' as const), slot: slotArb, port: stopPortArb, force: forceArb }).map(fixPort) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), slot: slotArb, force: forceArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('enable' as const, 'disable' as const), slot: slotArb, force: forceArb }) },
  )
}

const anySlot = fc.integer({ min: 0, max: SLOTS.length - 1 })

/** Batches mostly aim at one program (same-instance races), sometimes at several. */
const batchArb = anySlot.chain((focus) => {
  const slotArb = fc.oneof({ arbitrary: fc.constant(focus), weight: 3 }, { arbitrary: anySlot, weight: 1 })
  const withReset = fc.oneof({ arbitrary: opArb(slotArb), weight: 30 }, { arbitrary: fc.constant<Op>({ kind: 'reset' }), weight: 1 })
  const delayArb = fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, { arbitrary: fc.constantFrom(30, 300, 1200), weight: 1 })
  return fc.array(fc.record({ op: withReset, delayMs: delayArb }), { minLength: 2, maxLength: 4 })
})

function commandsArb(maxCommands: number) {
  const single = fc.oneof({ arbitrary: opArb(anySlot), weight: 40 }, { arbitrary: fc.constant<Op>({ kind: 'reset' }), weight: 1 })
  return fc.commands([
    single.map((op) => new SingleCommand(op)),
    batchArb.map((timed) => new BatchCommand(timed)),
  ], { maxCommands, size: 'max', replayPath: process.env.HOODY_MODEL_PATH })
}

// ---------------------------------------------------------------------------------------------
// The property

/** Kill a process this test saw, if the pid still runs one of this test's commands. */
function killIfOurs(pid: number): void {
  if (ourProcesses().some((p) => p.pid === pid)) killQuietly(pid)
}

async function freshReal(t: TestContext, real: Real | undefined, port: number): Promise<Real> {
  if (real !== undefined && real.daemon.child.exitCode === null && real.daemon.child.signalCode === null) {
    const reply = await real.daemon.post('/programs/reset')
    if (reply.status === 200) return real
    await real.daemon.stop()
  }
  const seen = real?.seen ?? new Set<number>()
  const daemon = await startDaemon(t)
  return { daemon, port, pids: new Map(), seen }
}

export async function runModel(t: TestContext, options: ModelOptions): Promise<void> {
  const port = await freePorts(2)
  let real: Real | undefined
  cleanup(t, () => {
    for (const pid of real?.seen ?? []) killIfOurs(pid)
    for (const p of ourProcesses()) killQuietly(p.pid)
  })
  const seed = process.env.HOODY_MODEL_SEED
  const path = process.env.HOODY_MODEL_PATH
  let runs = 0
  const began = Date.now()
  await fc.assert(
    fc.asyncProperty(commandsArb(options.maxCommands), async (commands) => {
      runs++
      real = await freshReal(t, real, port)
      // Leftovers of a failed run (a shrink replays many) must not fail the next one.
      for (const p of ourProcesses()) killQuietly(p.pid)
      const current = real
      await waitFor(() => ourProcesses().length === 0, { timeoutMs: 5000, message: 'leftover processes to go' })
      current.last = undefined
      await fc.asyncModelRun(() => ({ model: { programs: new Map() }, real: current }), commands)
    }),
    {
      numRuns: options.runs,
      ...(seed === undefined || seed === '' ? {} : { seed: Number(seed) }),
      ...(path === undefined || path === '' ? {} : { path }),
      verbose: fc.VerbosityLevel.Verbose,
    },
  )
  t.diagnostic(`${stats.steps} steps (${stats.batches} concurrent batches), ${stats.calls} calls (${stats.refused} refused): ${JSON.stringify(stats.codes)}`)
  t.diagnostic(`${runs} runs (with shrinking) in ${((Date.now() - began) / 1000).toFixed(1)} s`)
}
