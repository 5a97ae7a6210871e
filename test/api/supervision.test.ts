import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { FIXTURES, startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'
import { isAlive } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

const exitWith = (code: number, seconds = 0) => `${join(FIXTURES, 'exit-with.sh')} ${code} ${seconds}`

describe('supervision', () => {
  test('autorestart "true" restarts after any exit, with a new pid', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'always', command: 'sleep 1000', startsecs: 0, autorestart: true })
    const { pid } = (await daemon.post('/programs/always/start')).body
    process.kill(pid, 'SIGKILL')
    const restarted = await waitFor(async () => {
      const s = (await daemon.get('/status/always')).body
      return s.status === 'RUNNING' && s.pid !== pid ? s : undefined
    })
    assert.ok(isAlive(restarted.pid))
    assert.equal(restarted.exit_status, 137, 'SIGKILL → 128 + 9')
  })

  test('autorestart "unexpected" honours exitcodes; "false" never restarts', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'expected', command: exitWith(3, 0.3), startsecs: 0, exitcodes: [3] })
    await daemon.add({ name: 'never', command: exitWith(5, 0.3), startsecs: 0, autorestart: 'false' })
    await daemon.add({ name: 'surprise', command: exitWith(4, 0.3), startsecs: 0, exitcodes: [0] })
    for (const id of ['expected', 'never', 'surprise']) await daemon.post(`/programs/${id}/start`)
    const expected = await waitForStatus(daemon, 'expected', 'EXITED')
    assert.equal(expected.exit_status, 3)
    assert.equal(expected.pid, null)
    const never = await waitForStatus(daemon, 'never', 'EXITED')
    assert.equal(never.exit_status, 5)
    // "surprise" exits 4, which is unexpected: it keeps being restarted.
    const firstPid = (await daemon.get('/status/surprise')).body.pid as number | null
    await waitFor(async () => {
      const s = (await daemon.get('/status/surprise')).body
      return s.exit_status === 4 && s.pid !== null && s.pid !== firstPid
    })
    // Still EXITED later: nothing restarts them.
    assert.equal((await daemon.get('/status/expected')).body.status, 'EXITED')
    assert.equal((await daemon.get('/status/never')).body.status, 'EXITED')
  })

  test('a program dying before startsecs backs off, then goes FATAL; start answers SPAWN_ERROR', async (t) => {
    const daemon = await startDaemon(t)
    // startsecs 2, not 1: supervisord's loop waits up to 1 s and checks startsecs before it reaps,
    // so on a loaded machine a program that died at once can pass for RUNNING (docs/engines.md).
    await daemon.add({ name: 'flaky', command: exitWith(1), startsecs: 2, startretries: 2 })
    const reply = await daemon.post('/programs/flaky/start')
    assert.equal(reply.status, 500)
    assert.equal(reply.body.code, 'SPAWN_ERROR')
    assert.match(reply.body.error, /exited with status 1 before startsecs/)
    const states = new Set<string>()
    const fatal = await waitFor(async () => {
      const s = (await daemon.get('/status/flaky')).body
      states.add(s.status)
      return s.status === 'FATAL' ? s : undefined
    }, { timeoutMs: 15_000 })
    assert.ok(states.has('BACKOFF'))
    assert.equal(fatal.exit_status, 1)
    assert.match(fatal.spawn_error, /exited with status 1/)
    // 1 attempt + 2 retries: three "exiting" lines in the log.
    const out = readFileSync(join(daemon.dataDir, 'logs', 'flaky.stdout.log'), 'utf8')
    assert.equal(out.split('\n').filter((l) => l.startsWith('out: exiting')).length, 3)
  })

  test('spawn errors name their cause and end FATAL', async (t) => {
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    mkdirSync(join(dir, 'real'))
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['no-exe', { command: 'hoody-no-such-binary --flag' }, /executable 'hoody-no-such-binary' not found/],
      ['no-path', { command: '/opt/hoody/nothing/here' }, /executable '\/opt\/hoody\/nothing\/here' not found/],
      ['no-dir', { command: 'sleep 10', directory: join(dir, 'missing') }, /directory '.*missing' does not exist/],
      ['file-dir', { command: 'sleep 10', directory: file }, /directory '.*a-file' is not a directory/],
      ['not-exec', { command: file }, /not found or not executable/],
    ]
    for (const [name, fields, message] of cases) {
      await daemon.add({ name, startretries: 0, ...fields })
      const reply = await daemon.post(`/programs/${name}/start`)
      assert.equal(reply.status, 500, name)
      assert.equal(reply.body.code, 'SPAWN_ERROR', name)
      assert.match(reply.body.error, message, name)
      assert.match(reply.body.spawn_error, message, 'the answer names the cause in spawn_error, as the status does')
      const status = await waitForStatus(daemon, name, 'FATAL')
      assert.match(status.spawn_error, message)
      assert.equal(status.pid, null)
    }
  })

  test('a spawn error with retries left answers at once and reaches FATAL after backoff', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'retrying', command: 'hoody-no-such-binary', startretries: 1 })
    const began = Date.now()
    const reply = await daemon.post('/programs/retrying/start')
    assert.equal(reply.body.code, 'SPAWN_ERROR')
    assert.ok(Date.now() - began < 1000, 'does not wait for the retries')
    assert.equal((await daemon.get('/status/retrying')).body.status, 'BACKOFF')
    await waitForStatus(daemon, 'retrying', 'FATAL', 5000)
  })

  test('start from FATAL tries again from scratch', async (t) => {
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    await daemon.add({ name: 'later', command: 'sleep 1000', directory: join(dir, 'later'), startretries: 0, startsecs: 0 })
    assert.equal((await daemon.post('/programs/later/start')).status, 500)
    await waitForStatus(daemon, 'later', 'FATAL')
    mkdirSync(join(dir, 'later'))
    const reply = await daemon.post('/programs/later/start')
    assert.equal(reply.body.status, 'RUNNING')
    assert.equal((await daemon.get('/status/later')).body.spawn_error, undefined)
  })

  test('an instant crash loop after RUNNING is throttled, not spun', async (t) => {
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    const counter = join(dir, 'count')
    // startsecs 0: every run "reaches RUNNING" and exits at once.
    await daemon.add({ name: 'crashy', command: `sh -c 'echo x >> ${counter}; exit 1'`, startsecs: 0, autorestart: true })
    await daemon.post('/programs/crashy/start')
    const cpuBefore = process.cpuUsage()
    await waitFor(() => {
      try {
        return readFileSync(counter, 'utf8').split('\n').length - 1 >= 3
      } catch {
        return false
      }
    }, { timeoutMs: 10_000 })
    const startedAt = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 2500))
    const spawns = readFileSync(counter, 'utf8').split('\n').length - 1
    // Delays 0, 1 s, 2 s, 4 s…: in ~5 s at most a handful of spawns, never hundreds.
    assert.ok(spawns <= 6, `${spawns} spawns in ${Date.now() - startedAt} ms`)
    const status = (await daemon.get('/status/crashy')).body
    assert.equal(status.exit_status, 1)
    assert.ok(process.cpuUsage(cpuBefore).user < 2_000_000)
    await daemon.post('/programs/crashy/stop')
    // Stopped while waiting for the restart: stays EXITED; caught mid-run: STOPPED.
    assert.ok(['EXITED', 'STOPPED'].includes((await daemon.get('/status/crashy')).body.status))
    const after = readFileSync(counter, 'utf8')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.equal(readFileSync(counter, 'utf8'), after, 'no restart after stop')
  })
})
