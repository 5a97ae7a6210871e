// npm run bench [-- --quick]: every scenario against Hoody Daemon, supervisord, PM2 and the raw
// baseline, in one run on this machine; results in bench/results/<time>.json and docs/BENCHMARKS.md.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { BareHttpManager } from './managers/bare-http.js'
import { HOODY_LABELS, HoodyManager } from './managers/hoody.js'
import type { Manager } from './managers/manager.js'
import { Pm2Manager } from './managers/pm2.js'
import { ensureSupervisord, SupervisordManager } from './managers/supervisord.js'
import { p1, p2, p3, p4, p5, p6, p7, p7Beside } from './scenarios.js'
import { BARE_HTTP, FLOOD_BESIDE, renderReport, type Results } from './report.js'
import { percentile, summarize, summarizeRuns } from './stats.js'
import { startedBy, stillAlive } from './managers/util.js'

const quick = process.argv.includes('--quick')
const MiB = 1024 * 1024
const settings = quick
  ? { runs: 1, p1: [50], kills: 10, seconds: 2, p4Bytes: 100 * MiB, p5Programs: 200, p5Seconds: 5, p6Sizes: [10 * MiB, 100 * MiB], p6Reads: 5 }
  : { runs: 3, p1: [200, 1000], kills: 30, seconds: 10, p4Bytes: 1024 * MiB, p5Programs: 1000, p5Seconds: 30, p6Sizes: [10 * MiB, 100 * MiB, 1024 * MiB], p6Reads: 10 }

type Factory = () => Manager

function managers(): { label: string; make: Factory }[] {
  const list: { label: string; make: Factory }[] = [{ label: HOODY_LABELS.native, make: () => new HoodyManager() }]
  const supervisord = ensureSupervisord()
  if (supervisord !== undefined) {
    list.push({ label: HOODY_LABELS.supervisord, make: () => new HoodyManager('supervisord') })
    list.push({ label: 'supervisord', make: () => new SupervisordManager(supervisord) })
  }
  else console.error('supervisord is not installed and could not be installed: its column stays empty')
  list.push({ label: 'PM2', make: () => new Pm2Manager() })
  return list
}

/**
 * Bring a fresh manager up, run, bring it down: every scenario starts from nothing. Once it is
 * down, nothing it started may be left: its own processes, or any program of the scenarios.
 */
async function withManager<T>(make: Factory, work: (manager: Manager) => Promise<T>): Promise<T> {
  const manager = make()
  await manager.up()
  let outcome: { ok: true; value: T } | { ok: false; error: unknown }
  try {
    outcome = { ok: true, value: await work(manager) }
  } catch (error) {
    outcome = { ok: false, error }
  }
  const left = await bringDown(manager)
  if (!outcome.ok) {
    if (left !== undefined) log(left)
    throw outcome.error
  }
  if (left !== undefined) throw new Error(left)
  return outcome.value
}

/** Stop the manager; what it left running is killed and named (undefined: nothing was left). */
async function bringDown(manager: Manager): Promise<string | undefined> {
  const started = startedBy(manager.managerPids())
  await manager.down()
  const left = await stillAlive([...started, ...startedBy([])], 15_000)
  if (left.length === 0) return undefined
  for (const { pid } of left) killQuietly(pid)
  return `${manager.label} left ${left.length} processes running after it was stopped (now killed): ${left.slice(0, 5).map((p) => `${p.pid} ${p.command}`).join('; ')}`
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

async function repeat<T>(times: number, once: () => Promise<T>): Promise<T[]> {
  const results: T[] = []
  for (let i = 0; i < times; i++) results.push(await once())
  return results
}

/** `settings.runs` runs of a scenario that answers named figures, each figure as min/median/max. */
async function overRuns<T extends Record<string, number | boolean>>(once: () => Promise<T>) {
  return summarizeRuns(await repeat(settings.runs, once))
}

/** P7's figure is the ratio within each run: its idle and flood windows are minutes apart from the next run's. */
async function p7Run(make: Factory, scenario: typeof p7): Promise<{ idleP99: number; floodP99: number; floodVsIdle: number }> {
  const { idleP99, floodP99 } = await withManager(make, (m) => scenario(m, settings.seconds))
  return { idleP99, floodP99, floodVsIdle: floodP99 / idleP99 }
}

const log = (text: string) => { console.error(`[bench] ${text}`) }

async function main(): Promise<void> {
  const results: Results = { quick, settings, machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 1024 ** 3), cpu: cpus()[0]?.model ?? '?', node: process.version }, versions: {}, scenarios: {} }
  const set = (scenario: string, who: string, value: unknown) => { (results.scenarios[scenario] ??= {})[who] = value }
  const list = managers()
  results.versions['hoody-daemon'] = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
  results.versions.pm2 = (JSON.parse(readFileSync(new URL('../node_modules/pm2/package.json', import.meta.url), 'utf8')) as { version: string }).version
  const supervisord = ensureSupervisord()
  if (supervisord !== undefined) results.versions.supervisord = execFileSync(supervisord, ['--version'], { encoding: 'utf8' }).trim()

  for (const n of settings.p1) {
    log(`P1 with ${n} programs`)
    const raw = await repeat(settings.runs, () => p1('raw', n))
    set(`P1-${n}`, 'raw spawn', { start: summarize(raw.map((r) => r.startMs)), stop: summarize(raw.map((r) => r.stopMs)) })
    // The same two requests per program to a server that does nothing but spawn: the least any
    // manager driven over HTTP can cost on this machine.
    const bare = await repeat(settings.runs, () => withManager(() => new BareHttpManager(), (m) => p1(m, n)))
    set(`P1-${n}`, BARE_HTTP, { start: summarize(bare.map((r) => r.startMs)), stop: summarize(bare.map((r) => r.stopMs)) })
    for (const { label, make } of list) {
      const runs = await repeat(settings.runs, () => withManager(make, (m) => p1(m, n)))
      set(`P1-${n}`, label, { start: summarize(runs.map((r) => r.startMs)), stop: summarize(runs.map((r) => r.stopMs)) })
    }
  }

  log('P2 respawn after SIGKILL')
  // The issue asks for the median and p95 of the kills; min and max come with them.
  const respawns = (times: number[]) => ({ ...summarize(times), p95: percentile(times, 0.95) })
  set('P2', 'raw spawn', respawns(await p2('raw', settings.kills)))
  for (const { label, make } of list) set('P2', label, respawns(await withManager(make, (m) => p2(m, settings.kills))))

  log('P3 status throughput')
  set('P3', 'bare Node', await overRuns(() => p3('bare-node', settings.seconds)))
  for (const { label, make } of list.filter((m) => m.label !== 'PM2')) set('P3', label, await overRuns(() => withManager(make, (m) => p3(m, settings.seconds))))

  log('P4 stdout throughput')
  set('P4', 'redirect to file', await overRuns(() => p4('redirect', settings.p4Bytes)))
  for (const { label, make } of list) set('P4', label, await overRuns(() => withManager(make, (m) => p4(m, settings.p4Bytes))))

  log('P5 idle cost')
  for (const { label, make } of list) set('P5', label, await overRuns(() => withManager(make, (m) => p5(m, settings.p5Programs, settings.p5Seconds))))

  log('P6 last 100 lines')
  set('P6', 'tail -n 100', await overRuns(() => p6('tail', settings.p6Sizes, settings.p6Reads)))
  for (const { label, make } of list) set('P6', label, await overRuns(() => withManager(make, (m) => p6(m, settings.p6Sizes, settings.p6Reads))))

  log('P7 status latency under a flood')
  // The same flood piped into a file by a bare Node server: what the flood costs any Node manager.
  set('P7', BARE_HTTP, await overRuns(() => p7Run(() => new BareHttpManager(), p7)))
  // The flood beside Hoody Daemon instead of through it: what the flood takes from the machine alone.
  set('P7', FLOOD_BESIDE, await overRuns(() => p7Run(() => new HoodyManager(), p7Beside)))
  for (const { label, make } of list.filter((m) => m.label !== 'PM2')) set('P7', label, await overRuns(() => p7Run(make, p7)))

  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const dir = fileURLToPath(new URL('./results/', import.meta.url))
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}${stamp}.json`, `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(new URL('../docs/BENCHMARKS.md', import.meta.url), renderReport(results, settings))
  log(`results in bench/results/${stamp}.json and docs/BENCHMARKS.md`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
