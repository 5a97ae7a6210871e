import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { startDaemon } from '../helpers/daemon.js'
import { isAlive } from '../helpers/proc.js'

describe('programs registry', () => {
  test('add fills every default and derives the id from the name', async (t) => {
    const daemon = await startDaemon(t)
    const reply = await daemon.post('/programs/add', { name: 'Web Server', command: 'sleep 100' })
    assert.equal(reply.status, 201)
    assert.equal(reply.body.success, true)
    assert.equal(reply.body.message, 'Program added successfully')
    const { created_at: createdAt, updated_at: updatedAt, ...program } = reply.body.program
    assert.deepEqual(program, {
      id: 'web-server', name: 'Web Server', description: '', command: 'sleep 100', user: '', directory: '', environment: {},
      enabled: true, boot: false, autorestart: 'unexpected', exitcodes: [0], priority: 999, delay_seconds: 0, startsecs: 1,
      startretries: 3, stopsignal: 'TERM', stopwaitsecs: 10, stdout_logfile: '', stderr_logfile: '', redirect_stderr: false,
      stdout_logfile_maxbytes: 52428800, stdout_logfile_backups: 10, stderr_logfile_maxbytes: 52428800, stderr_logfile_backups: 10,
      log_timestamps: false, port_range: { start: 0, end: 0 }, hoody_kit: false,
    })
    assert.ok(!Number.isNaN(Date.parse(createdAt)))
    assert.equal(createdAt, updatedAt)
    assert.deepEqual((await daemon.get('/programs/web-server')).body, reply.body.program)
    // Persisted at once.
    const onDisk = JSON.parse(readFileSync(join(daemon.dataDir, 'programs.json'), 'utf8'))
    assert.deepEqual(onDisk, [reply.body.program])
  })

  test('autorestart booleans are stored as strings', async (t) => {
    const daemon = await startDaemon(t)
    assert.equal((await daemon.add({ name: 'a', command: 'sleep 1', autorestart: true })).autorestart, 'true')
    assert.equal((await daemon.add({ name: 'b', command: 'sleep 1', autorestart: false })).autorestart, 'false')
    assert.equal((await daemon.post('/programs/add', { name: 'c', command: 'x', autorestart: 'sometimes' })).body.code, 'VALIDATION_ERROR')
  })

  test('list is ordered by priority then id', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'zeta', command: 'sleep 1', priority: 10 })
    await daemon.add({ name: 'beta', command: 'sleep 1' })
    await daemon.add({ name: 'alpha', command: 'sleep 1' })
    await daemon.add({ name: 'omega', command: 'sleep 1', priority: 5 })
    const list = await daemon.get('/programs')
    assert.deepEqual(list.body.map((p: { id: string }) => p.id), ['omega', 'zeta', 'alpha', 'beta'])
    const status = await daemon.get('/status')
    assert.deepEqual(status.body.map((p: { id: string }) => p.id), ['omega', 'zeta', 'alpha', 'beta'])
  })

  test('validation: unknown and read-only fields, bad values, each named in details', async (t) => {
    const daemon = await startDaemon(t)
    const cases: [Record<string, unknown>, string, string][] = [
      [{ name: 'x', command: 'sleep 1', colour: 'red' }, 'VALIDATION_ERROR', 'colour'],
      [{ name: 'x', command: 'sleep 1', hoody_kit: true }, 'VALIDATION_ERROR', 'hoody_kit'],
      [{ command: 'sleep 1' }, 'VALIDATION_ERROR', 'name'],
      [{ name: 'x' }, 'VALIDATION_ERROR', 'command'],
      [{ name: 'x', command: '   ' }, 'VALIDATION_ERROR', 'command'],
      [{ name: 'x', command: "echo 'open" }, 'VALIDATION_ERROR', 'command'],
      [{ name: 'x', command: 'sleep 1', id: 'Bad Id' }, 'VALIDATION_ERROR', 'id'],
      [{ name: '!!!', command: 'sleep 1' }, 'VALIDATION_ERROR', 'name'],
      [{ name: 'x', command: 'sleep 1', stopsignal: 'term' }, 'VALIDATION_ERROR', 'stopsignal'],
      [{ name: 'x', command: 'sleep 1', exitcodes: [0, 256] }, 'VALIDATION_ERROR', 'exitcodes.1'],
      [{ name: 'x', command: 'sleep 1', environment: { A: 1 } }, 'VALIDATION_ERROR', 'environment.A'],
      [{ name: 'x', command: 'sleep 1', directory: 'relative/dir' }, 'VALIDATION_ERROR', 'directory'],
      [{ name: 'x', command: 'sleep 1', port_range: { start: 10 } }, 'VALIDATION_ERROR', 'port_range.end'],
      [{ name: 'x', command: 'sleep 1', port_range: { start: 3001, end: 3000 } }, 'INVALID_PORT_RANGE', 'port_range'],
      [{ name: 'x', command: 'sleep 1', port_range: { start: 0, end: 3000 } }, 'INVALID_PORT_RANGE', 'port_range'],
      [{ name: 'x', command: 'sleep 1', port_range: { start: 1, end: 1001 } }, 'INVALID_PORT_RANGE', 'port_range'],
      [{ name: 'x', command: 'sleep 1', port_range: { start: 65000, end: 65536 } }, 'INVALID_PORT_RANGE', 'port_range'],
      [{ name: 'x', command: 'sleep 1', user: 'no-such-user-hoody' }, 'USER_NOT_FOUND', 'user'],
    ]
    for (const [body, code, field] of cases) {
      const reply = await daemon.post('/programs/add', body)
      assert.equal(reply.body.code, code, JSON.stringify(body))
      assert.equal(reply.status, 400)
      assert.ok(reply.body.details.some((d: { field: string }) => d.field === field), `${JSON.stringify(body)} → ${JSON.stringify(reply.body.details)}`)
      assert.equal(typeof reply.body.error, 'string')
    }
    assert.match((await daemon.post('/programs/add', { name: 'x', command: 'sleep 1', stopsignal: 'term' })).body.error, /TERM, INT, QUIT/)
    assert.deepEqual((await daemon.get('/programs')).body, [], 'nothing was added by a refused request')
  })

  test('duplicate id or name (case-insensitive) is 409', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'api', command: 'sleep 1' })
    for (const body of [{ name: 'API', command: 'sleep 1', id: 'other' }, { name: 'different', command: 'sleep 1', id: 'api' }]) {
      const reply = await daemon.post('/programs/add', body)
      assert.equal(reply.status, 409)
      assert.equal(reply.body.code, 'PROGRAM_ALREADY_EXISTS')
    }
    // Racing adds of one name: exactly one wins.
    const replies = await Promise.all(Array.from({ length: 10 }, () => daemon.post('/programs/add', { name: 'racer', command: 'sleep 1' })))
    assert.equal(replies.filter((r) => r.status === 201).length, 1)
    assert.equal(replies.filter((r) => r.status === 409).length, 9)
  })

  test('unknown ids are 404 PROGRAM_NOT_FOUND everywhere', async (t) => {
    const daemon = await startDaemon(t)
    const calls: [string, string][] = [
      ['GET', '/programs/ghost'], ['GET', '/status/ghost'], ['GET', '/programs/ghost/logs'], ['POST', '/programs/edit/ghost'],
      ['POST', '/programs/remove/ghost'], ['POST', '/programs/ghost/enable'], ['POST', '/programs/ghost/disable'],
      ['POST', '/programs/ghost/start'], ['POST', '/programs/ghost/stop'], ['POST', '/programs/ghost/restart'],
    ]
    for (const [method, path] of calls) {
      const reply = await daemon.request(method, path, method === 'POST' ? {} : undefined)
      assert.equal(reply.status, 404, `${method} ${path}`)
      assert.equal(reply.body.code, 'PROGRAM_NOT_FOUND', `${method} ${path}`)
    }
  })

  test('edit is partial, keeps the id, and is refused while running', async (t) => {
    const daemon = await startDaemon(t)
    const added = await daemon.add({ name: 'svc', command: 'sleep 100', startsecs: 0, environment: { A: '1' } })
    const edited = await daemon.post('/programs/edit/svc', { description: 'hello', environment: { B: '2' } })
    assert.equal(edited.status, 200)
    assert.equal(edited.body.message, 'Program updated')
    assert.equal(edited.body.program.description, 'hello')
    assert.deepEqual(edited.body.program.environment, { B: '2' })
    assert.equal(edited.body.program.command, 'sleep 100')
    assert.equal(edited.body.program.created_at, added.created_at)
    assert.equal((await daemon.post('/programs/edit/svc', { id: 'new-id' })).body.code, 'VALIDATION_ERROR')
    assert.equal((await daemon.post('/programs/edit/svc', { created_at: 'x' })).body.code, 'VALIDATION_ERROR')

    await daemon.add({ name: 'other', command: 'sleep 1' })
    assert.equal((await daemon.post('/programs/edit/svc', { name: 'OTHER' })).status, 409)

    const started = await daemon.post('/programs/svc/start')
    assert.equal(started.body.status, 'RUNNING')
    const refused = await daemon.post('/programs/edit/svc', { description: 'while running' })
    assert.equal(refused.status, 409)
    assert.equal(refused.body.code, 'PROGRAM_RUNNING')
    assert.equal((await daemon.get('/programs/svc')).body.description, 'hello')
    await daemon.post('/programs/svc/stop')
    assert.equal((await daemon.post('/programs/edit/svc', { command: 'sleep 200' })).status, 200)
    const restarted = await daemon.post('/programs/svc/start')
    assert.equal(readFileSync(`/proc/${restarted.body.pid}/cmdline`, 'utf8'), 'sleep\x00200\x00')
  })

  test('remove stops the program first and reports was_running', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'doomed', command: 'sleep 100', startsecs: 0 })
    await daemon.add({ name: 'idle', command: 'sleep 100' })
    const { pid } = (await daemon.post('/programs/doomed/start')).body
    assert.ok(isAlive(pid))
    const removed = await daemon.post('/programs/remove/doomed')
    assert.deepEqual(removed.body, { success: true, message: 'Program removed permanently', was_running: true })
    assert.equal(isAlive(pid), false)
    assert.equal((await daemon.get('/programs/doomed')).status, 404)
    assert.equal((await daemon.post('/programs/remove/idle')).body.was_running, false)
    const onDisk = JSON.parse(readFileSync(join(daemon.dataDir, 'programs.json'), 'utf8'))
    assert.deepEqual(onDisk, [])
  })
})
