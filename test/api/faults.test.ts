// Faults injected for real: SIGKILL during config writes, a full disk under the logs, a program
// flooding stdout. The long versions are in test/stress (npm run test:stress).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { cleanup } from '../helpers/cleanup.js'
import { nativeOnly, startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'
import { killDuringConfigWrites } from '../helpers/faults.js'
import { isAlive } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

const isRoot = process.getuid?.() === 0

describe('faults', () => {
  test('SIGKILL during config writes, 10 times: programs.json is always the old or the new state', async (t) => {
    const result = await killDuringConfigWrites(t, tempDir(t), 10)
    assert.ok(result.acknowledged > 0, 'some adds were acknowledged before the kills')
  })

  test('a full disk under the logs: the API answers, the program runs, health names it, recovery follows', { skip: isRoot ? nativeOnly('supervisord itself exits when a log write fails; the daemon restarts it and /health names supervisord').skip : 'needs root to mount a tmpfs' }, async (t) => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'hoody-fulldisk-'))
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mountPoint])
    if (mounted.status !== 0) {
      rmdirSync(mountPoint)
      t.skip(`cannot mount a tmpfs: ${mounted.stderr.toString()}`)
      return
    }
    cleanup(t, () => {
      spawnSync('umount', ['-l', mountPoint])
      rmSync(mountPoint, { recursive: true, force: true })
    })
    const dataDir = join(mountPoint, 'data')
    const control = tempDir(t)
    const flood = join(control, 'flood')
    const daemon = await startDaemon(t, { dataDir })
    // Writes 64 KiB blocks while the flag file exists, otherwise one short line every 50 ms.
    const writer = `sh -c 'while true; do if [ -e ${flood} ]; then head -c 65536 /dev/zero | tr "\\\\0" x; echo; else echo tick; sleep 0.05; fi; done'`
    await daemon.add({ name: 'writer', command: writer, startsecs: 0, stdout_logfile_maxbytes: 0 })
    assert.equal((await daemon.post('/programs/writer/start')).status, 200)
    const { pid } = await waitForStatus(daemon, 'writer', 'RUNNING')

    writeFileSync(flood, '')
    const sick = await waitFor(async () => {
      const reply = await daemon.get('/health')
      return reply.status === 503 ? reply.body : undefined
    }, { timeoutMs: 20_000, message: 'health to turn 503' })
    assert.match(sick.checks.supervisor, /log writes failing.*writer\.stdout\.log.*(ENOSPC|no space)/i)
    // The API still answers, and the program is still running and reported so.
    assert.equal((await daemon.get('/status')).status, 200)
    assert.equal((await daemon.get('/status/writer')).body.status, 'RUNNING')
    assert.ok(isAlive(pid))
    // A change that cannot be saved is refused and leaves the registry as it was.
    const refused = await daemon.request('POST', '/programs/add', { name: 'later', command: 'sleep 1', description: 'y'.repeat(1000) })
    if (refused.status !== 201) {
      assert.ok(refused.status >= 500 && refused.status < 600, `refused with ${refused.status}`)
      assert.equal(typeof refused.body.code, 'string')
      assert.equal((await daemon.get('/programs/later')).status, 404)
    }

    // Space comes back: the flood stops and the log is emptied. The next change is saved, and
    // health turns healthy once the logs are written again and the registry saved.
    rmSync(flood)
    truncateSync(join(dataDir, 'logs', 'writer.stdout.log'), 0)
    assert.equal((await daemon.post('/programs/add', { name: 'after', command: 'sleep 1' })).status, 201)
    const well = await waitFor(async () => {
      const reply = await daemon.get('/health')
      return reply.status === 200 ? reply.body : undefined
    }, { timeoutMs: 20_000, message: 'health to recover' })
    assert.deepEqual(well.checks, { supervisor: 'running', config: 'valid' })
    assert.equal(pid, (await daemon.get('/status/writer')).body.pid, 'the same process ran through it all')
  })

  test('a program flooding stdout does not starve the API', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'flood', command: 'yes hoody-daemon-flood-line', startsecs: 0, stdout_logfile_maxbytes: 1048576, stdout_logfile_backups: 1 })
    assert.equal((await daemon.post('/programs/flood/start')).status, 200)
    await waitForStatus(daemon, 'flood', 'RUNNING')
    const slowest = { ms: 0 }
    for (let i = 0; i < 100; i++) {
      const began = performance.now()
      assert.equal((await daemon.get('/status')).status, 200)
      slowest.ms = Math.max(slowest.ms, performance.now() - began)
    }
    // A starved loop takes seconds; a served one milliseconds. The bound is far from both.
    assert.ok(slowest.ms < 1000, `slowest /status under a flood took ${slowest.ms.toFixed(0)} ms`)
    const logs = (await daemon.get('/programs/flood/logs?lines=5')).body
    assert.match(logs.stdout, /hoody-daemon-flood-line/)
  })
})
