import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'
import { isAlive } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

describe('boot and shutdown', () => {
  test('boot starts enabled boot programs in ascending priority groups, honouring delay_seconds', async (t) => {
    const dataDir = tempDir(t)
    const dir = tempDir(t)
    const order = join(dir, 'order')
    const stamp = (name: string) => `sh -c 'echo ${name} $(date +%s%N) >> ${order}; exec sleep 1000'`
    const setup = await startDaemon(t, { dataDir })
    await setup.add({ name: 'db', command: stamp('db'), priority: 10, boot: true, startsecs: 1 })
    // startsecs > 0: RUNNING (which lets the next group go) only once the shell has had time to
    // write its line; with 0 the next group could start before the previous shell ran echo.
    await setup.add({ name: 'api', command: stamp('api'), priority: 20, boot: true, startsecs: 0.3, delay_seconds: 0.5 })
    await setup.add({ name: 'web', command: stamp('web'), priority: 30, boot: true, startsecs: 0.3 })
    await setup.add({ name: 'off', command: stamp('off'), priority: 5, boot: true, enabled: false })
    await setup.add({ name: 'manual', command: stamp('manual'), priority: 5, boot: false })
    assert.equal(await setup.stop(), 0)

    const daemon = await startDaemon(t, { dataDir })
    for (const id of ['db', 'api', 'web']) await waitForStatus(daemon, id, 'RUNNING', 15_000)
    // RUNNING says the process exists, not that its shell has written its line yet.
    await waitFor(() => readFileSync(order, 'utf8').trim().split('\n').length === 3)
    const lines = readFileSync(order, 'utf8').trim().split('\n').map((l) => l.split(' '))
    assert.deepEqual(lines.map((l) => l[0]), ['db', 'api', 'web'])
    const at = Object.fromEntries(lines.map(([name, ns]) => [name, Number(ns) / 1e6]))
    // api waits for db to be RUNNING (startsecs 1) and then its own 0.5 s.
    assert.ok(at.api! - at.db! >= 1400, `api started ${at.api! - at.db!} ms after db`)
    for (const id of ['off', 'manual']) assert.equal((await daemon.get(`/status/${id}`)).body.status, 'STOPPED')
  })

  test('SIGTERM stops every program in descending priority, then exits 0 with no child left', async (t) => {
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    const order = join(dir, 'stopped')
    const trap = (name: string) => `sh -c 'trap "echo ${name} >> ${order}; exit 0" TERM; while true; do sleep 0.05; done'`
    // startsecs 0.5: RUNNING only once the shells have had time to set their traps.
    await daemon.add({ name: 'first', command: trap('first'), priority: 1, startsecs: 0.5 })
    await daemon.add({ name: 'second', command: trap('second'), priority: 2, startsecs: 0.5 })
    await daemon.add({ name: 'third', command: trap('third'), priority: 3, startsecs: 0.5 })
    await daemon.add({ name: 'deaf', command: `sh -c 'trap "" TERM; while true; do sleep 0.05; done'`, priority: 2, startsecs: 0.5, stopwaitsecs: 1 })
    const pids: number[] = []
    for (const id of ['first', 'second', 'third', 'deaf']) pids.push((await daemon.post(`/programs/${id}/start`)).body.pid)
    assert.equal(await daemon.stop('SIGTERM'), 0)
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} outlived the daemon`)
    assert.deepEqual(readFileSync(order, 'utf8').trim().split('\n'), ['third', 'second', 'first'])
  })

  test('an open log stream does not keep SIGTERM from exiting', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'talk', command: `sh -c 'while true; do echo hi; sleep 0.1; done'`, startsecs: 0 })
    await daemon.post('/programs/talk/start')
    const response = await fetch(`${daemon.base}/programs/talk/logs/stream`)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    const began = Date.now()
    assert.equal(await daemon.stop('SIGTERM'), 0)
    assert.ok(Date.now() - began < 5000, `exited in ${Date.now() - began} ms`)
    await reader.cancel().catch(() => undefined)
  })

  test('SIGINT works the same', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'x', command: 'sleep 1000', startsecs: 0 })
    const { pid } = (await daemon.post('/programs/x/start')).body
    assert.equal(await daemon.stop('SIGINT'), 0)
    await waitFor(() => !isAlive(pid), { timeoutMs: 2000 })
  })
})
