import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { cleanup } from '../helpers/cleanup.js'
import { exitOf, startDaemon, tempDir } from '../helpers/daemon.js'
import { isAlive, killQuietly } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

describe('quick-start', () => {
  test('runs a one-off job; a finished one stays listed EXITED until stopped, which deletes it', async (t) => {
    const daemon = await startDaemon(t)
    const reply = await daemon.post('/quick-start', { command: `sh -c 'echo hello; echo oops >&2; exit 3'`, name: 'job' })
    assert.equal(reply.status, 201)
    assert.equal(reply.body.success, true)
    assert.equal(reply.body.message, 'Ephemeral program started')
    assert.match(reply.body.temporary_id, /^eph-[0-9a-f]{12}$/)
    assert.equal(typeof reply.body.pid, 'number')
    const id = reply.body.temporary_id
    const finished = await waitFor(async () => {
      const s = (await daemon.get(`/quick-start/${id}/status`)).body
      return s.status === 'EXITED' ? s : undefined
    })
    assert.equal(finished.exit_status, 3)
    assert.equal(finished.pid, null)
    assert.equal(finished.name, 'job')
    assert.equal(finished.command, `sh -c 'echo hello; echo oops >&2; exit 3'`)
    assert.ok(!Number.isNaN(Date.parse(finished.started_at)))
    assert.deepEqual((await daemon.get(`/quick-start/${id}/logs`)).body, { stdout: 'hello\n', stderr: 'oops\n' })
    const list = (await daemon.get('/quick-start')).body
    assert.deepEqual(list.map((q: { temporary_id: string }) => q.temporary_id), [id])
    // Never restarted.
    assert.equal((await daemon.get(`/quick-start/${id}/status`)).body.status, 'EXITED')

    const logFile = join(daemon.dataDir, 'logs', `${id}.stdout.log`)
    assert.ok(existsSync(logFile))
    const stopped = await daemon.post(`/quick-start/${id}/stop`)
    assert.equal(stopped.body.message, 'Ephemeral program stopped and removed')
    assert.ok(Array.isArray(stopped.body.actions_performed))
    assert.equal(existsSync(logFile), false, 'logs deleted')
    assert.equal((await daemon.get(`/quick-start/${id}/status`)).status, 404)
    assert.equal((await daemon.get(`/quick-start/${id}/status`)).body.code, 'PROGRAM_NOT_FOUND')
    assert.deepEqual((await daemon.get('/quick-start')).body, [])
    const onDisk = JSON.parse(readFileSync(join(daemon.dataDir, 'ephemeral.json'), 'utf8'))
    assert.deepEqual(onDisk, [])
  })

  test('stop kills a running one; wait answers when it exits', async (t) => {
    const daemon = await startDaemon(t)
    const long = (await daemon.post('/quick-start', { command: 'sleep 1000' })).body
    assert.ok(isAlive(long.pid))
    const stopped = await daemon.post(`/quick-start/${long.temporary_id}/stop`)
    assert.ok(stopped.body.actions_performed.includes('stopped process'))
    assert.equal(isAlive(long.pid), false)

    const short = (await daemon.post('/quick-start', { command: `sh -c 'sleep 0.5; echo done-now; exit 7'` })).body
    const waited = await daemon.get(`/quick-start/${short.temporary_id}/wait`)
    assert.equal(waited.status, 200)
    assert.equal(waited.body.finished, true)
    assert.equal(waited.body.status, 'EXITED')
    assert.equal(waited.body.exit_status, 7)
    // Once wait says it exited, its logs are complete.
    assert.equal((await daemon.get(`/quick-start/${short.temporary_id}/logs`)).body.stdout, 'done-now\n')

    const slow = (await daemon.post('/quick-start', { command: 'sleep 1000' })).body
    const notYet = await daemon.get(`/quick-start/${slow.temporary_id}/wait?timeout=0.3`)
    assert.equal(notYet.body.finished, false)
    assert.equal(notYet.body.status, 'RUNNING')
  })

  test('its logs can be followed live', async (t) => {
    const daemon = await startDaemon(t)
    const job = (await daemon.post('/quick-start', { command: `sh -c 'echo first; sleep 0.5; echo second; sleep 1000'` })).body
    const response = await fetch(`${daemon.base}/quick-start/${job.temporary_id}/logs/stream?lines=5`)
    assert.match(response.headers.get('content-type') ?? '', /event-stream/)
    let text = ''
    const decoder = new TextDecoder()
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true })
      if (text.includes('data: second')) break
    }
    assert.match(text, /event: ready[\s\S]*event: stdout\ndata: first[\s\S]*event: stdout\ndata: second/)
  })

  test('timeout_seconds stops a job that runs too long', async (t) => {
    const daemon = await startDaemon(t)
    const job = (await daemon.post('/quick-start', { command: 'sleep 1000', timeout_seconds: 0.5 })).body
    const waited = (await daemon.get(`/quick-start/${job.temporary_id}/wait?timeout=10`)).body
    assert.equal(waited.finished, true)
    assert.equal(waited.timed_out, true)
    assert.equal(waited.exit_status, 143)
    assert.equal(isAlive(job.pid), false)
  })

  test('bad input and spawn errors', async (t) => {
    const daemon = await startDaemon(t)
    for (const body of [{}, { command: '' }, { command: 'sleep 1', extra: 1 }, { command: 'sleep 1', timeout_seconds: 0 }, { command: 'sleep 1', directory: 'rel' }]) {
      const reply = await daemon.post('/quick-start', body)
      assert.equal(reply.status, 400, JSON.stringify(body))
      assert.equal(reply.body.code, 'VALIDATION_ERROR')
    }
    assert.equal((await daemon.post('/quick-start', { command: 'sleep 1', user: 'no-such-user-hoody' })).body.code, 'USER_NOT_FOUND')
    const failed = await daemon.post('/quick-start', { command: 'hoody-no-such-binary' })
    assert.equal(failed.status, 500)
    assert.equal(failed.body.code, 'SPAWN_ERROR')
    assert.match(failed.body.error, /not found/)
    assert.deepEqual((await daemon.get('/quick-start')).body, [], 'a failed quick-start leaves nothing behind')
    assert.equal((await daemon.get('/quick-start/eph-000000000000/status')).status, 404)
    assert.equal((await daemon.post('/quick-start/eph-000000000000/stop')).status, 404)
  })

  test('after a SIGKILL of the daemon, the next start cleans up every leftover quick-start: processes, logs and records', async (t) => {
    const dataDir = tempDir(t)
    const first = await startDaemon(t, { dataDir })
    const jobs = await Promise.all([1, 2].map(async () => (await first.post('/quick-start', { command: 'sleep 1000' })).body))
    // One that ignores SIGTERM: the cleanup must escalate to SIGKILL.
    const stubborn = (await first.post('/quick-start', { command: 'sh -c \'trap "" TERM; while :; do sleep 1; done\'' })).body
    const done = (await first.post('/quick-start', { command: 'true' })).body
    await waitFor(async () => (await first.get(`/quick-start/${done.temporary_id}/status`)).body.status === 'EXITED')
    const running = [...jobs, stubborn]
    for (const job of running) cleanup(t, () => { killQuietly(job.pid) })
    for (const job of [...running, done]) assert.ok(existsSync(join(dataDir, 'logs', `${job.temporary_id}.stdout.log`)))
    first.child.kill('SIGKILL')
    await exitOf(first.child)
    for (const job of running) assert.ok(isAlive(job.pid), 'still running after the daemon died')

    const second = await startDaemon(t, { dataDir })
    for (const job of running) assert.equal(isAlive(job.pid), false, `leftover ${job.temporary_id} was stopped before the API answered`)
    assert.deepEqual((await second.get('/quick-start')).body, [], 'no leftover is listed')
    for (const job of [...running, done]) {
      assert.equal((await second.get(`/quick-start/${job.temporary_id}/status`)).status, 404)
      assert.equal(existsSync(join(dataDir, 'logs', `${job.temporary_id}.stdout.log`)), false, 'its logs are deleted')
    }
    assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'ephemeral.json'), 'utf8')), [], 'and its record')
    // The new daemon's own quick-starts work as before.
    const fresh = (await second.post('/quick-start', { command: 'sleep 1000' })).body
    cleanup(t, () => { killQuietly(fresh.pid) })
    assert.equal((await second.get(`/quick-start/${fresh.temporary_id}/status`)).body.status, 'RUNNING')
  })

  test('a recycled pid is never killed: the start time must match', async (t) => {
    const dataDir = tempDir(t)
    const { spawn } = await import('node:child_process')
    const bystander = spawn('sleep', ['1000'], { stdio: 'ignore', detached: true })
    cleanup(t, () => { killQuietly(bystander.pid!) })
    writeFileSync(join(dataDir, 'ephemeral.json'), JSON.stringify([{
        temporary_id: 'eph-aaaaaaaaaaaa', name: 'old', command: 'sleep 1000', user: '', directory: '', environment: {},
        timeout_seconds: null, started_at: new Date().toISOString(), pid: bystander.pid, proc_start: '1',
        stdout_logfile: join(dataDir, 'logs', 'eph-aaaaaaaaaaaa.stdout.log'), stderr_logfile: join(dataDir, 'logs', 'eph-aaaaaaaaaaaa.stderr.log'),
      }]))
    const daemon = await startDaemon(t, { dataDir })
    assert.ok(isAlive(bystander.pid!), 'a process with the same pid but another start time survives')
    assert.deepEqual((await daemon.get('/quick-start')).body, [])
  })
})
