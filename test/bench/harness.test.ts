// A smoke test of the benchmark harness with tiny N: the scenarios run against the real daemon
// and the report renders. The figures themselves are for `npm run bench`, never asserted here.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { BareHttpManager } from '../../bench/managers/bare-http.js'
import { HoodyManager } from '../../bench/managers/hoody.js'
import { alive, discardDir, removeDiscarded, startedBy, stillAlive, waitUntil } from '../../bench/managers/util.js'
import { BARE_HTTP, FLOOD_BESIDE, renderReport } from '../../bench/report.js'
import { p1, p2, p4, p6, p7Beside } from '../../bench/scenarios.js'
import { summarize, summarizeRuns } from '../../bench/stats.js'
import { cleanup } from '../helpers/cleanup.js'

test('the bench scenarios run end to end against Hoody Daemon and leave nothing behind', async (t) => {
  const manager = new HoodyManager()
  await manager.up()
  cleanup(t, () => manager.down())
  const started = await p1(manager, 3)
  assert.ok(started.startMs > 0 && started.stopMs >= 0)
  const raw = await p1('raw', 3)
  assert.ok(raw.startMs > 0)
  const bareManager = new BareHttpManager()
  await bareManager.up()
  cleanup(t, () => bareManager.down())
  const bare = await p1(bareManager, 3)
  assert.ok(bare.startMs > 0)
  assert.equal((await p4(bareManager, 1024 * 1024)).intact, true, 'the bare spawner pipes a program\'s output into its file (P7 floor)')
  const [barePid] = bareManager.managerPids()
  await bareManager.down()
  assert.equal(barePid !== undefined && alive(barePid), false, 'the bare spawner is gone once down')
  const respawns = await p2(manager, 2)
  assert.equal(respawns.length, 2)
  const output = await p4(manager, 1024 * 1024)
  assert.equal(output.intact, true, 'every byte of the output reached the log, in order')
  const tails = await p6(manager, [1024 * 1024], 2)
  assert.equal(Object.keys(tails).length, 1)
  const beside = await p7Beside(manager, 0.2)
  assert.ok(beside.idleP99 > 0 && beside.floodP99 > 0)
  const children = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(' ').map(Number)
  assert.deepEqual(children.filter((pid) => !manager.managerPids().includes(pid)), [], 'the flood beside the daemon is gone')
  assert.deepEqual((await manager.status()).filter((s) => s.pid !== null && alive(s.pid)), [], 'no program left running')
  const report = renderReport({
    quick: true, machine: { cores: 2, memoryGiB: 1, cpu: 'test', node: process.version }, versions: { 'hoody-daemon': 'test' },
    scenarios: { 'P1-3': { 'raw spawn': { start: summarize([raw.startMs]), stop: summarize([raw.stopMs]) }, [BARE_HTTP]: { start: summarize([bare.startMs]), stop: summarize([bare.stopMs]) }, 'Hoody Daemon': { start: summarize([started.startMs]), stop: summarize([started.stopMs]) } }, P2: { 'Hoody Daemon': { ...summarize(respawns), p95: Math.max(...respawns) } }, P4: { 'Hoody Daemon': output }, P6: { 'Hoody Daemon': tails } },
  }, {})
  assert.match(report, /## P1 — start 3 programs/)
  assert.match(report, /\| Hoody Daemon \| .* \| \d+(\.\d+)?× \| \d+(\.\d+)?× \|/, 'Hoody Daemon is compared with the bare HTTP floor')
  assert.match(report, /## P4/)
  assert.match(report, /\| Hoody Daemon \| [\d.]+ \/ \*\*[\d.]+\*\* \/ [\d.]+ ms \| [\d.]+ ms \|/, 'P2 shows the p95 of the kills')
})

test('every figure of a scenario is summarised over its runs, and P7 reports the ratio of each run', () => {
  const runs = [{ idleP99: 1, floodP99: 3, intact: true }, { idleP99: 2, floodP99: 2, intact: true }, { idleP99: 4, floodP99: 5, intact: false }]
  const summary = summarizeRuns(runs.map((run) => ({ ...run, floodVsIdle: run.floodP99 / run.idleP99 })))
  assert.deepEqual(summary.idleP99, { min: 1, median: 2, max: 4 })
  assert.deepEqual(summary.floodVsIdle, { min: 1, median: 1.25, max: 3 })
  assert.equal(summary.intact, false, 'a flag holds only if it held in every run')
  const report = renderReport({
    quick: false, machine: { cores: 2, memoryGiB: 1, cpu: 'test', node: process.version }, versions: {},
    scenarios: { P7: { 'Hoody Daemon': summary, [FLOOD_BESIDE]: summary }, P5: { 'Hoody Daemon': { rssMiB: 90.8, cpuPercent: 0.97 } } },
  }, {})
  assert.match(report, /\| Hoody Daemon \| 1 \/ \*\*2\*\* \/ 4 ms \| 2 \/ \*\*3\*\* \/ 5 ms \| 1 \/ \*\*1\.25\*\* \/ 3× \|/)
  assert.match(report, /flood beside it/)
  assert.match(report, /\| Hoody Daemon \| 90\.8 \/ \*\*90\.8\*\* \/ 90\.8 MiB \|/, 'a one-run figure of an older results file still renders')
})

test('the leftover check finds what a manager started, and the scenarios\' programs wherever they are', async (t) => {
  // A "manager" with a child of its own, and a scenario program it did not start.
  const manager = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' })
  const program = spawn('sleep', ['100042'], { stdio: 'ignore' })
  cleanup(t, () => { for (const child of [manager, program]) child.kill('SIGKILL') })
  const managerPid = manager.pid as number
  const grandchild = await waitUntil(() => startedBy([managerPid]).find((p) => p.command === 'sleep 30'), 5_000, 'the manager\'s child')
  const found = startedBy([managerPid])
  assert.ok(found.some((p) => p.pid === managerPid), 'the manager itself')
  assert.ok(found.some((p) => p.pid === program.pid && p.command === 'sleep 100042'), 'a scenario program, whoever its parent')
  assert.equal(found.some((p) => p.pid === process.pid), false, 'not the bench itself')
  assert.equal((await stillAlive(found, 100)).length, 3, 'all three still run')
  process.kill(grandchild.pid, 'SIGKILL')
  manager.kill('SIGKILL')
  program.kill('SIGKILL')
  assert.deepEqual(await stillAlive(found, 5_000), [], 'gone once killed')
})

test('a discarded temp dir loses its big files at once and the rest when the bench ends', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hoody-test-discard-'))
  cleanup(t, () => { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(join(dir, 'logs'))
  writeFileSync(join(dir, 'logs', 'big.log'), Buffer.alloc(2 * 1024 * 1024))
  writeFileSync(join(dir, 'logs', 'small.log'), 'x')
  discardDir(dir)
  assert.equal(existsSync(join(dir, 'logs', 'big.log')), false, 'the big file is gone now')
  assert.equal(existsSync(join(dir, 'logs', 'small.log')), true, 'the small one stays until the end')
  removeDiscarded()
  assert.equal(existsSync(dir), false)
})
