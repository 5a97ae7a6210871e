import assert from 'node:assert/strict'
import { closeSync, ftruncateSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'

describe('logs', () => {
  test('stdout and stderr go to the default files and come back over the API', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'talker', command: `sh -c 'for i in 1 2 3 4 5; do echo "out $i"; echo "err $i" >&2; done'`, startsecs: 0, autorestart: false })
    await daemon.post('/programs/talker/start')
    await waitForStatus(daemon, 'talker', 'EXITED')
    const logs = join(daemon.dataDir, 'logs')
    assert.equal(readFileSync(join(logs, 'talker.stdout.log'), 'utf8'), 'out 1\nout 2\nout 3\nout 4\nout 5\n')
    assert.equal(readFileSync(join(logs, 'talker.stderr.log'), 'utf8'), 'err 1\nerr 2\nerr 3\nerr 4\nerr 5\n')
    assert.deepEqual((await daemon.get('/programs/talker/logs?lines=2')).body, { stdout: 'out 4\nout 5\n', stderr: 'err 4\nerr 5\n' })
    assert.deepEqual((await daemon.get('/programs/talker/logs')).body.stdout, 'out 1\nout 2\nout 3\nout 4\nout 5\n')
    for (const lines of ['0', '10001', '-1', 'abc', '1.5']) {
      const reply = await daemon.get(`/programs/talker/logs?lines=${lines}`)
      assert.equal(reply.status, 400, lines)
      assert.equal(reply.body.code, 'VALIDATION_ERROR')
    }
  })

  test('configured paths and redirect_stderr', async (t) => {
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    const out = join(dir, 'custom.out')
    await daemon.add({ name: 'merged', command: `sh -c 'echo one; echo two >&2; echo three'`, startsecs: 0, autorestart: false, stdout_logfile: out, redirect_stderr: true })
    await daemon.post('/programs/merged/start')
    await waitForStatus(daemon, 'merged', 'EXITED')
    // EXITED is reported once the last output is in the files.
    assert.deepEqual(readFileSync(out, 'utf8').split('\n').sort(), ['', 'one', 'three', 'two'])
    const logs = (await daemon.get('/programs/merged/logs')).body
    assert.equal(logs.stderr, '')
    assert.equal(logs.stdout.split('\n').length, 4)
    const mode = statSync(out).mode & 0o777
    assert.equal(mode & 0o007, 0, 'log files are not world-readable')
  })

  test('a log in a missing folder is a spawn error naming the path', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'nolog', command: 'sleep 10', stdout_logfile: '/nonexistent/hoody/out.log', startretries: 0 })
    const reply = await daemon.post('/programs/nolog/start')
    assert.equal(reply.body.code, 'SPAWN_ERROR')
    assert.match(reply.body.error, /\/nonexistent\/hoody\/out\.log/)
  })

  test('a log path ending in / is a spawn error naming it, and the daemon stays healthy', async (t) => {
    const daemon = await startDaemon(t)
    // supervisord reads '/x/' as a file in '/x', where Node's dirname says '/': found by the fuzz.
    for (const [name, path] of [['slashgone', `${tempDir(t)}/gone/`], ['slashdir', `${tempDir(t)}/`]] as const) {
      await daemon.add({ name, command: 'sleep 10', stdout_logfile: path, startretries: 0 })
      const reply = await daemon.post(`/programs/${name}/start`)
      assert.equal(reply.body.code, 'SPAWN_ERROR', path)
      assert.ok(String(reply.body.error).includes(path), `${path}: ${String(reply.body.error)}`)
    }
    assert.equal((await daemon.get('/health')).status, 200)
  })

  test('a fast writer loses no byte', async (t) => {
    const daemon = await startDaemon(t)
    // 200k numbered lines as fast as the shell can go (~1.3 MB), through the pipes and the writer.
    await daemon.add({ name: 'flood', command: `sh -c 'seq 1 200000; seq 1 50000 >&2'`, startsecs: 0, autorestart: false })
    await daemon.post('/programs/flood/start')
    await waitForStatus(daemon, 'flood', 'EXITED', 30_000)
    const expected = (n: number) => `${Array.from({ length: n }, (_, i) => i + 1).join('\n')}\n`
    const logs = join(daemon.dataDir, 'logs')
    const { waitFor } = await import('../helpers/wait.js')
    await waitFor(() => readFileSync(join(logs, 'flood.stdout.log'), 'utf8') === expected(200000), { timeoutMs: 10_000 })
    assert.equal(readFileSync(join(logs, 'flood.stderr.log'), 'utf8'), expected(50000))
    assert.equal((await daemon.get('/programs/flood/logs?lines=3')).body.stdout, '199998\n199999\n200000\n')
  })

  test('the last lines of a 1 GiB log come from its end', async (t) => {
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    const path = join(dir, 'huge.log')
    await daemon.add({ name: 'huge', command: 'sleep 10', stdout_logfile: path })
    const fd = openSync(path, 'w')
    ftruncateSync(fd, 1024 ** 3)
    writeSync(fd, '\nalpha\nbeta\ngamma\n', 1024 ** 3)
    closeSync(fd)
    const reply = await daemon.get('/programs/huge/logs?lines=2')
    assert.equal(reply.body.stdout, 'beta\ngamma\n')
  })
})
