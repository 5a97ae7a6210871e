import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { exitOf, spawnDaemon, startDaemon, tempDir } from '../helpers/daemon.js'
import { waitFor } from '../helpers/wait.js'

describe('persistence', () => {
  test('programs survive a restart of the daemon; the data dir is private', async (t) => {
    const dataDir = tempDir(t)
    const first = await startDaemon(t, { dataDir })
    await first.add({ name: 'kept', command: 'sleep 1', environment: { SECRET: 'x' } })
    await first.post('/programs/kept/disable')
    assert.equal(await first.stop(), 0)
    const second = await startDaemon(t, { dataDir })
    const program = (await second.get('/programs/kept')).body
    assert.equal(program.enabled, false)
    assert.deepEqual(program.environment, { SECRET: 'x' })
    assert.equal(statSync(join(dataDir, 'programs.json')).mode & 0o077, 0, 'programs.json holds secrets: 0600')
  })

  test('SIGKILL during a stream of writes always leaves a valid programs.json', async (t) => {
    for (let round = 0; round < 5; round++) {
      const dataDir = tempDir(t)
      const daemon = await startDaemon(t, { dataDir })
      const adds = Array.from({ length: 40 }, (_, i) => daemon.post('/programs/add', { name: `p${i}`, command: 'sleep 1' }).catch(() => undefined))
      await waitFor(() => readdirSync(dataDir).includes('programs.json'))
      daemon.child.kill('SIGKILL')
      await Promise.all(adds)
      await exitOf(daemon.child)
      const parsed = JSON.parse(readFileSync(join(dataDir, 'programs.json'), 'utf8'))
      assert.ok(Array.isArray(parsed))
      const again = await startDaemon(t, { dataDir })
      assert.equal((await again.get('/programs')).body.length, parsed.length)
      await again.stop()
    }
  })

  test('a corrupt programs.json stops the daemon with a message naming it, and is kept', async (t) => {
    const dataDir = tempDir(t)
    const file = join(dataDir, 'programs.json')
    writeFileSync(file, '{"version":1,"programs":[{"id":')
    const child = spawnDaemon(['serve', '--port', '0', '--data-dir', dataDir])
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    const code = await exitOf(child)
    assert.equal(code, 1)
    assert.ok(stderr.includes(file), stderr)
    assert.match(stderr, /not valid JSON/)
    assert.equal(readFileSync(file, 'utf8'), '{"version":1,"programs":[{"id":')
  })
})

describe('health', () => {
  test('a programs.json that cannot be written: the change is refused, health is 503, and recovers', async (t) => {
    const dataDir = tempDir(t)
    const daemon = await startDaemon(t, { dataDir })
    await daemon.add({ name: 'before', command: 'sleep 1' })
    const file = join(dataDir, 'programs.json')
    const { mkdirSync, rmSync } = await import('node:fs')
    // Root ignores permissions, so block the rename with a directory where the file goes.
    rmSync(file)
    mkdirSync(file)
    const refused = await daemon.post('/programs/add', { name: 'during', command: 'sleep 1' })
    assert.equal(refused.status, 500)
    assert.equal(refused.body.code, 'SUPERVISORD_ERROR')
    assert.equal((await daemon.get('/programs/during')).status, 404, 'nothing half-applied')
    const sick = await daemon.get('/health')
    assert.equal(sick.status, 503)
    assert.equal(sick.body.status, 'unhealthy')
    assert.match(sick.body.checks.config, /programs/)
    rmSync(file, { recursive: true })
    await daemon.add({ name: 'after', command: 'sleep 1' })
    const healthy = await daemon.get('/health')
    assert.equal(healthy.status, 200)
    assert.equal(healthy.body.checks.config, 'valid')
    const onDisk = JSON.parse(readFileSync(file, 'utf8'))
    assert.deepEqual(onDisk.map((p: { id: string }) => p.id), ['after', 'before'])
  })
})
