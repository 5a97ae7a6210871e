import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { startDaemon, TEST_ENGINE, waitForStatus, type DaemonHandle } from '../helpers/daemon.js'
import { isAlive, procStat } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

/** Live processes whose command line is exactly `argv` (NUL-joined), found through /proc. */
function processesRunning(argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') === wanted && isAlive(Number(entry))) found.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return found
}

const uniqueSleep = () => String(100000 + Math.floor(Math.random() * 800000))

async function addSleeper(daemon: DaemonHandle, name: string, extra: Record<string, unknown> = {}) {
  const seconds = uniqueSleep()
  await daemon.add({ name, command: `sleep ${seconds}`, startsecs: 0, ...extra })
  return ['sleep', seconds]
}

describe('control', () => {
  test('start waits for RUNNING and reports the pid; the process leads its own group', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'web', command: 'sleep 1000', startsecs: 1 })
    const began = Date.now()
    const reply = await daemon.post('/programs/web/start')
    assert.ok(Date.now() - began >= 900, 'waited for startsecs')
    assert.equal(reply.status, 200)
    assert.equal(reply.body.message, 'Program started')
    assert.equal(reply.body.status, 'RUNNING')
    const { pid } = reply.body
    assert.ok(isAlive(pid))
    const stat = procStat(pid)
    assert.equal(stat?.pgid, pid, 'leads its own process group')
    // supervisord makes each program a group leader, not a session leader (docs/engines.md).
    if (TEST_ENGINE !== 'supervisord') assert.equal(stat?.sid, pid, 'leads its own session')
    const status = await daemon.get('/status/web')
    assert.equal(status.body.status, 'RUNNING')
    assert.equal(status.body.pid, pid)
    assert.equal(status.body.exit_status, null)
    assert.equal(typeof status.body.uptime, 'number')
    assert.equal(status.body.spawn_error, undefined)
  })

  test('?wait=false answers at once with STARTING', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'slow', command: 'sleep 1000', startsecs: 3 })
    const reply = await daemon.post('/programs/slow/start?wait=false')
    assert.equal(reply.status, 200)
    assert.equal(reply.body.status, 'STARTING')
    assert.ok(isAlive(reply.body.pid))
    await waitForStatus(daemon, 'slow', 'RUNNING', 10_000)
  })

  test('start, stop and restart are idempotent; stop waits until the process is gone', async (t) => {
    const daemon = await startDaemon(t)
    const argv = await addSleeper(daemon, 'idem')
    const first = await daemon.post('/programs/idem/start')
    const second = await daemon.post('/programs/idem/start')
    assert.equal(second.status, 200)
    assert.equal(second.body.pid, first.body.pid)
    assert.deepEqual(processesRunning(argv), [first.body.pid])

    const stopped = await daemon.post('/programs/idem/stop')
    assert.deepEqual(stopped.body, { success: true, message: 'Program stopped' })
    assert.equal(isAlive(first.body.pid), false, 'gone when stop answers')
    assert.equal((await daemon.post('/programs/idem/stop')).status, 200)
    const status = await daemon.get('/status/idem')
    assert.equal(status.body.status, 'STOPPED')
    assert.equal(status.body.pid, null)
    assert.equal(status.body.uptime, 0)
    assert.equal(status.body.exit_status, 143, 'SIGTERM → 128 + 15')

    const restarted = await daemon.post('/programs/idem/restart')
    assert.equal(restarted.body.status, 'RUNNING')
    const again = await daemon.post('/programs/idem/restart')
    assert.notEqual(again.body.pid, restarted.body.pid)
    assert.equal(isAlive(restarted.body.pid), false)
    assert.deepEqual(processesRunning(argv), [again.body.pid])
  })

  test('twenty concurrent starts spawn exactly one process', async (t) => {
    const daemon = await startDaemon(t)
    const argv = await addSleeper(daemon, 'once', { startsecs: 1 })
    const replies = await Promise.all(Array.from({ length: 20 }, () => daemon.post('/programs/once/start')))
    for (const reply of replies) assert.equal(reply.status, 200)
    const pids = new Set(replies.map((r) => r.body.pid))
    assert.equal(pids.size, 1)
    assert.deepEqual(processesRunning(argv), [...pids])
  })

  test('racing start/stop/restart never leaves two processes', async (t) => {
    const daemon = await startDaemon(t)
    const argv = await addSleeper(daemon, 'race')
    const actions = ['start', 'stop', 'restart', 'start', 'restart', 'stop', 'start', 'restart', 'restart', 'start']
    for (let round = 0; round < 3; round++) {
      await Promise.all(actions.map((action) => daemon.post(`/programs/race/${action}`)))
      const status = (await daemon.get('/status/race')).body
      const live = processesRunning(argv)
      assert.ok(live.length <= 1, `at most one process, found ${live.join(',')}`)
      if (status.status === 'RUNNING') assert.deepEqual(live, [status.pid])
      else assert.deepEqual(live, [], `status ${status.status} but processes ${live.join(',')}`)
    }
    await daemon.post('/programs/race/stop')
    assert.deepEqual(processesRunning(argv), [])
  })

  test('enable and disable; a disabled program refuses to start', async (t) => {
    const daemon = await startDaemon(t)
    await addSleeper(daemon, 'toggle')
    const { pid } = (await daemon.post('/programs/toggle/start')).body
    const disabled = await daemon.post('/programs/toggle/disable')
    assert.deepEqual(disabled.body, { success: true, message: 'Program disabled', was_running: true, actions: ['disabled', 'stopped'] })
    assert.equal(isAlive(pid), false)
    assert.equal((await daemon.get('/programs/toggle')).body.enabled, false)
    const again = await daemon.post('/programs/toggle/disable')
    assert.equal(again.body.was_running, false)
    for (const action of ['start', 'restart']) {
      const refused = await daemon.post(`/programs/toggle/${action}`)
      assert.equal(refused.status, 409)
      assert.equal(refused.body.code, 'PROGRAM_DISABLED')
    }
    assert.deepEqual((await daemon.post('/programs/toggle/enable')).body, { success: true, message: 'Program enabled' })
    assert.equal((await daemon.post('/programs/toggle/enable')).status, 200)
    assert.equal((await daemon.post('/programs/toggle/start')).body.status, 'RUNNING')
  })

  test('a port on a program without port_range is INVALID_PORT; bad bodies are refused', async (t) => {
    const daemon = await startDaemon(t)
    await addSleeper(daemon, 'single')
    const reply = await daemon.post('/programs/single/start', { port: 3000 })
    assert.equal(reply.status, 400)
    assert.equal(reply.body.code, 'INVALID_PORT')
    assert.equal((await daemon.post('/programs/single/start', { port: 'x' })).body.code, 'VALIDATION_ERROR')
    assert.equal((await daemon.post('/programs/single/stop', { everything: true })).body.code, 'VALIDATION_ERROR')
    assert.equal((await daemon.post('/programs/single/start?wait=maybe')).body.code, 'VALIDATION_ERROR')
    assert.equal((await daemon.get('/status/single')).body.status, 'STOPPED')
  })

  test('stop {"all": true} reports stopped_ports', async (t) => {
    const daemon = await startDaemon(t)
    await addSleeper(daemon, 'allstop')
    await daemon.post('/programs/allstop/start')
    const reply = await daemon.post('/programs/allstop/stop', { all: true })
    assert.equal(reply.body.message, 'All instances stopped')
    assert.ok(Array.isArray(reply.body.stopped_ports))
  })

  test('status uptime grows while running', async (t) => {
    const daemon = await startDaemon(t)
    await addSleeper(daemon, 'clock')
    await daemon.post('/programs/clock/start')
    await waitFor(async () => (await daemon.get('/status/clock')).body.uptime >= 1, { timeoutMs: 5000 })
  })
})
