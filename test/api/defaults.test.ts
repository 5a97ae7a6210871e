import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { exitOf, spawnDaemon, startDaemon, tempDir } from '../helpers/daemon.js'
import { isAlive } from '../helpers/proc.js'

function defaultsFile(t: Parameters<typeof tempDir>[0], content: unknown): string {
  const path = join(tempDir(t), 'programs.default.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

async function startFails(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawnDaemon(args)
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  return { code: await exitOf(child), stderr }
}

describe('defaults file and reset', () => {
  test('a first start loads the defaults (hoody_kit: true); a later start keeps what was changed', async (t) => {
    const dataDir = tempDir(t)
    const file = defaultsFile(t, [
      { name: 'API Server', command: 'sleep 1000', priority: 10 },
      { name: 'worker', command: 'sleep 1000', autorestart: true },
    ])
    const first = await startDaemon(t, { dataDir, args: ['--defaults', file] })
    const programs = (await first.get('/programs')).body
    assert.deepEqual(programs.map((p: { id: string }) => p.id), ['api-server', 'worker'])
    assert.ok(programs.every((p: { hoody_kit: boolean }) => p.hoody_kit))
    assert.equal(programs[1].autorestart, 'true')
    await first.post('/programs/remove/worker')
    await first.add({ name: 'mine', command: 'sleep 1' })
    assert.equal((await first.get('/programs/mine')).body.hoody_kit, false)
    await first.stop()

    const second = await startDaemon(t, { dataDir, env: { HOODY_DAEMON_DEFAULTS: file } })
    assert.deepEqual((await second.get('/programs')).body.map((p: { id: string }) => p.id), ['api-server', 'mine'])
  })

  test('reset stops and removes every program, then reloads the defaults', async (t) => {
    const file = defaultsFile(t, [{ name: 'base', command: 'sleep 1000', startsecs: 0 }])
    const daemon = await startDaemon(t, { args: ['--defaults', file] })
    await daemon.add({ name: 'extra', command: 'sleep 1000', startsecs: 0 })
    const pids = [(await daemon.post('/programs/extra/start')).body.pid, (await daemon.post('/programs/base/start')).body.pid]
    await daemon.post('/programs/edit/base', { description: 'changed' }).catch(() => undefined)
    const reply = await daemon.post('/programs/reset')
    assert.equal(reply.status, 200)
    assert.equal(reply.body.success, true)
    assert.equal(reply.body.message, 'Programs reset to defaults')
    assert.equal(reply.body.programs_count, 1)
    assert.ok(Array.isArray(reply.body.actions_performed) && reply.body.actions_performed.length > 0)
    for (const pid of pids) assert.equal(isAlive(pid), false)
    const programs = (await daemon.get('/programs')).body
    assert.deepEqual(programs.map((p: { id: string; hoody_kit: boolean; description: string }) => [p.id, p.hoody_kit, p.description]), [['base', true, '']])
    assert.equal((await daemon.get('/status/base')).body.status, 'STOPPED')
  })

  test('reset without a defaults file empties the registry', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'gone', command: 'sleep 1' })
    const reply = await daemon.post('/programs/reset')
    assert.equal(reply.body.programs_count, 0)
    assert.deepEqual((await daemon.get('/programs')).body, [])
  })

  test('a bad defaults file is a clear error at start, naming the file and the field', async (t) => {
    const cases: [unknown, RegExp][] = [
      ['[{"name": "x"', /not valid JSON/],
      [{ name: 'x', command: 'sleep 1' }, /must be a JSON array/],
      [[{ name: 'x', command: 'sleep 1', startsecs: 'slow' }], /entry \[0\].*startsecs/],
      [[{ name: 'ok', command: 'sleep 1' }, { name: 'y', command: 'sleep 1', bogus: true }], /entry \[1\].*bogus/],
      [[{ name: 'a', command: 'sleep 1' }, { name: 'A', command: 'sleep 1' }], /duplicate/],
      [[{ name: 'r', command: 'sleep 1', port_range: { start: 5, end: 1 } }], /port_range/],
    ]
    for (const [content, message] of cases) {
      const file = defaultsFile(t, content)
      const { code, stderr } = await startFails(['serve', '--port', '0', '--data-dir', tempDir(t), '--defaults', file])
      assert.equal(code, 1, stderr)
      assert.ok(stderr.includes(file), stderr)
      assert.match(stderr, message)
    }
    const missing = await startFails(['serve', '--port', '0', '--data-dir', tempDir(t), '--defaults', '/nonexistent/defaults.json'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /\/nonexistent\/defaults\.json/)
  })

  test('a defaults file broken after start makes reset fail and change nothing', async (t) => {
    const file = defaultsFile(t, [{ name: 'keep', command: 'sleep 1' }])
    const daemon = await startDaemon(t, { args: ['--defaults', file] })
    await daemon.add({ name: 'also', command: 'sleep 1' })
    writeFileSync(file, '[{"oops": 1}]')
    const reply = await daemon.post('/programs/reset')
    assert.equal(reply.status, 500)
    assert.match(reply.body.error, /defaults/)
    assert.equal((await daemon.get('/programs')).body.length, 2)
  })
})
