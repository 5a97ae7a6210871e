import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { describe, test } from 'node:test'
import { cleanup } from '../helpers/cleanup.js'
import { startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'
import { freePorts } from '../helpers/ports.js'
import { isAlive, procEnviron } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

const listener = (extra = '') => `node -e "require('net').createServer().listen(Number(process.argv[1]), '127.0.0.1'); console.log('up ' + process.argv[1])${extra}" {{PORT}}`

describe('port-range programs', () => {
  test('one instance per port with {{PORT}} in command, environment and log paths', async (t) => {
    const daemon = await startDaemon(t)
    const start = await freePorts(3)
    const dir = tempDir(t)
    await daemon.add({
      name: 'web', command: listener(), startsecs: 0, port_range: { start, end: start + 2 },
      environment: { MY_PORT: 'p{{PORT}}' }, stdout_logfile: join(dir, 'web-{{PORT}}.out'),
    })
    const reply = await daemon.post('/programs/web/start')
    assert.equal(reply.status, 200)
    assert.equal(reply.body.instances.length, 3)
    assert.deepEqual(reply.body.instances.map((i: { port: number }) => i.port), [start, start + 1, start + 2])
    for (const instance of reply.body.instances) {
      assert.equal(instance.status, 'RUNNING')
      assert.ok(isAlive(instance.pid))
      assert.equal(procEnviron(instance.pid).MY_PORT, `p${instance.port}`)
      await waitFor(() => readFileSync(join(dir, `web-${instance.port}.out`), 'utf8') === `up ${instance.port}\n`)
    }
    const status = (await daemon.get('/status/web')).body
    assert.equal(status.status, 'RUNNING')
    assert.equal(status.instances.length, 3)
    assert.deepEqual(Object.keys(status.instances[0]).sort(), ['exit_status', 'pid', 'port', 'status', 'uptime'])
    assert.equal((await daemon.get(`/programs/web/logs?port=${start + 1}`)).body.stdout, `up ${start + 1}\n`)
  })

  test('start, stop and restart one port; stop all reports stopped_ports; worst state wins', async (t) => {
    const daemon = await startDaemon(t)
    const start = await freePorts(3)
    await daemon.add({ name: 'svc', command: listener(), startsecs: 0, port_range: { start, end: start + 2 } })
    const one = await daemon.post('/programs/svc/start', { port: start + 1 })
    assert.equal(one.body.port, start + 1)
    assert.equal(one.body.status, 'RUNNING')
    const status = (await daemon.get('/status/svc')).body
    assert.deepEqual(status.instances.map((i: { status: string }) => i.status), ['STOPPED', 'RUNNING', 'STOPPED'])
    assert.equal(status.status, 'STOPPED', 'the worst instance state')

    const restarted = await daemon.post('/programs/svc/restart', { port: start + 1 })
    assert.notEqual(restarted.body.pid, one.body.pid)
    assert.equal(isAlive(one.body.pid), false)

    await daemon.post('/programs/svc/start')
    const pids = (await daemon.get('/status/svc')).body.instances.map((i: { pid: number }) => i.pid)
    const stopOne = await daemon.post('/programs/svc/stop', { port: start })
    assert.deepEqual(stopOne.body, { success: true, message: 'Program stopped' })
    assert.equal(isAlive(pids[0]), false)
    assert.ok(isAlive(pids[1]))
    const all = await daemon.post('/programs/svc/stop', { all: true })
    assert.equal(all.body.message, 'All instances stopped')
    assert.deepEqual(all.body.stopped_ports, [start + 1, start + 2])
    for (const pid of pids) assert.equal(isAlive(pid), false)
  })

  test('a port outside the range is INVALID_PORT everywhere', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'r', command: 'sleep {{PORT}}', port_range: { start: 30000, end: 30002 } })
    for (const [method, path, body] of [
      ['POST', '/programs/r/start', { port: 30003 }], ['POST', '/programs/r/stop', { port: 29999 }],
      ['POST', '/programs/r/restart', { port: 1 }], ['GET', '/programs/r/logs?port=30010', undefined],
      // Not ports at all, yet integers: still "not inside the program's port_range".
      ['POST', '/programs/r/start', { port: 0 }], ['POST', '/programs/r/stop', { port: 70000 }],
      ['GET', '/programs/r/logs?port=-1', undefined], ['GET', '/programs/r/logs/stream?port=0', undefined],
    ] as const) {
      const reply = await daemon.request(method, path, body)
      assert.equal(reply.status, 400, path)
      assert.equal(reply.body.code, 'INVALID_PORT', path)
    }
  })

  test('a port held by something else is named in the spawn error', async (t) => {
    const daemon = await startDaemon(t)
    const start = await freePorts(2)
    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(start + 1, '127.0.0.1', resolve))
    cleanup(t, () => new Promise((resolve) => squatter.close(resolve)))
    await daemon.add({ name: 'clash', command: listener(), startsecs: 0, startretries: 0, port_range: { start, end: start + 1 } })
    const reply = await daemon.post('/programs/clash/start')
    assert.equal(reply.status, 500)
    assert.equal(reply.body.code, 'SPAWN_ERROR')
    assert.match(reply.body.error, new RegExp(`port ${start + 1} is already in use by pid ${process.pid}`))
    const status = await waitForStatus(daemon, 'clash', 'FATAL')
    assert.equal(status.instances[0].status, 'RUNNING')
    assert.equal(status.instances[1].status, 'FATAL')
    assert.match(status.instances[1].spawn_error, /already in use/)
  })

  test('edit is refused while any instance runs', async (t) => {
    const daemon = await startDaemon(t)
    const start = await freePorts(2)
    await daemon.add({ name: 'e', command: listener(), startsecs: 0, port_range: { start, end: start + 1 } })
    await daemon.post('/programs/e/start', { port: start })
    assert.equal((await daemon.post('/programs/edit/e', { description: 'x' })).body.code, 'PROGRAM_RUNNING')
  })
})
