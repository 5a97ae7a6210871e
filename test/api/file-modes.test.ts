// The data dir holds secrets (program environments): the real files and folders are private,
// and a data dir left with looser modes is tightened at start, with a log line saying so.
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'
import { waitFor } from '../helpers/wait.js'

// The daemon inherits our umask, which can only take bits away from the documented modes.
// Read from /proc: process.umask() without an argument briefly sets it to 0.
const UMASK = parseInt(/^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '022', 8)
const modeOf = (path: string) => statSync(path).mode & 0o777
const expected = (mode: number) => (mode & ~UMASK).toString(8)
const assertMode = (path: string, mode: number) => { assert.equal(modeOf(path).toString(8), expected(mode), path) }

describe('file modes of the data dir', () => {
  test('a new data dir: 0700, logs/ 0750, data files 0600, log files 0640', async (t) => {
    const dataDir = join(tempDir(t), 'data')
    const defaults = join(tempDir(t), 'programs.default.json')
    writeFileSync(defaults, JSON.stringify([{ name: 'kit', command: 'sleep 1000', startsecs: 0, environment: { API_KEY: 'k' } }]))
    const daemon = await startDaemon(t, { dataDir, args: ['--defaults', defaults] })
    assertMode(dataDir, 0o700)
    assertMode(join(dataDir, 'logs'), 0o750)
    assertMode(join(dataDir, 'daemon.pid'), 0o600)
    // programs.json written from the defaults file on a first start.
    await waitFor(() => existsSync(join(dataDir, 'programs.json')))
    assertMode(join(dataDir, 'programs.json'), 0o600)

    assert.equal((await daemon.post('/programs/kit/start')).status, 200)
    await waitForStatus(daemon, 'kit', 'RUNNING')
    assertMode(join(dataDir, 'logs', 'kit.stdout.log'), 0o640)
    assertMode(join(dataDir, 'logs', 'kit.stderr.log'), 0o640)
    const quick = await daemon.post('/quick-start', { command: 'sleep 1000' })
    assert.equal(quick.status, 201)
    assertMode(join(dataDir, 'ephemeral.json'), 0o600)
    assertMode(join(dataDir, 'logs', `${quick.body.temporary_id}.stdout.log`), 0o640)
    await daemon.add({ name: 'later', command: 'sleep 1', environment: { SECRET: 's' } })
    assertMode(join(dataDir, 'programs.json'), 0o600)
    assert.equal(await daemon.stop(), 0)
    assert.doesNotMatch(daemon.stderr(), /tightened/, 'nothing needed tightening')
  })

  test('an existing data dir with looser modes is tightened at start and the log says so', async (t) => {
    const dataDir = join(tempDir(t), 'loose')
    mkdirSync(join(dataDir, 'logs'), { recursive: true })
    writeFileSync(join(dataDir, 'programs.json'), JSON.stringify([]))
    writeFileSync(join(dataDir, 'ephemeral.json'), JSON.stringify([]))
    chmodSync(dataDir, 0o755)
    chmodSync(join(dataDir, 'logs'), 0o777)
    chmodSync(join(dataDir, 'programs.json'), 0o644)
    chmodSync(join(dataDir, 'ephemeral.json'), 0o664)
    const daemon = await startDaemon(t, { dataDir })
    assert.equal(modeOf(dataDir), 0o700)
    assert.equal(modeOf(join(dataDir, 'logs')), 0o750)
    assert.equal(modeOf(join(dataDir, 'programs.json')), 0o600)
    // ephemeral.json was rewritten at start (leftover clean-up) or tightened: 0600 either way.
    assert.equal(modeOf(join(dataDir, 'ephemeral.json')) & ~0o600, 0)
    const lines = daemon.stderr().split('\n').filter((line) => line.includes('tightened')).map((line) => JSON.parse(line) as { level: number; path: string; mode_was: string; mode: string })
    assert.deepEqual(lines.map(({ path, mode_was, mode }) => ({ path, mode_was, mode })), [
      { path: dataDir, mode_was: '755', mode: '700' },
      { path: join(dataDir, 'logs'), mode_was: '777', mode: '750' },
      { path: join(dataDir, 'programs.json'), mode_was: '644', mode: '600' },
      { path: join(dataDir, 'ephemeral.json'), mode_was: '664', mode: '600' },
    ])
    assert.ok(lines.every((line) => line.level === 40), 'logged as warnings')
  })

  test('tighter modes than ours are left alone', async (t) => {
    const dataDir = join(tempDir(t), 'tight')
    mkdirSync(join(dataDir, 'logs'), { recursive: true })
    chmodSync(dataDir, 0o700)
    chmodSync(join(dataDir, 'logs'), 0o700)
    const daemon = await startDaemon(t, { dataDir })
    assert.equal(modeOf(join(dataDir, 'logs')), 0o700)
    assert.doesNotMatch(daemon.stderr(), /tightened/)
  })
})
