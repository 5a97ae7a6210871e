// A smoke test of the benchmark harness with tiny N: the scenarios run against the real daemon
// and the report renders. The figures themselves are for `npm run bench`, never asserted here.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BareHttpManager } from '../../bench/managers/bare-http.js'
import { HoodyManager } from '../../bench/managers/hoody.js'
import { alive } from '../../bench/managers/util.js'
import { BARE_HTTP, renderReport } from '../../bench/report.js'
import { p1, p2, p4, p6 } from '../../bench/scenarios.js'
import { summarize } from '../../bench/stats.js'
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
  assert.deepEqual((await manager.status()).filter((s) => s.pid !== null && alive(s.pid)), [], 'no program left running')
  const report = renderReport({
    quick: true, machine: { cores: 2, memoryGiB: 1, cpu: 'test', node: process.version }, versions: { 'hoody-daemon': 'test' },
    scenarios: { 'P1-3': { 'raw spawn': { start: summarize([raw.startMs]), stop: summarize([raw.stopMs]) }, [BARE_HTTP]: { start: summarize([bare.startMs]), stop: summarize([bare.stopMs]) }, 'Hoody Daemon': { start: summarize([started.startMs]), stop: summarize([started.stopMs]) } }, P2: { 'Hoody Daemon': summarize(respawns) }, P4: { 'Hoody Daemon': output }, P6: { 'Hoody Daemon': tails } },
  }, {})
  assert.match(report, /## P1 — start 3 programs/)
  assert.match(report, /\| Hoody Daemon \| .* \| \d+(\.\d+)?× \| \d+(\.\d+)?× \|/, 'Hoody Daemon is compared with the bare HTTP floor')
  assert.match(report, /## P4/)
})
