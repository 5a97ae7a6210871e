import assert from 'node:assert/strict'
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'
import { createUser, IS_ROOT, NOT_ROOT_REASON, type TestUser } from '../helpers/users.js'
import { waitFor } from '../helpers/wait.js'

/** A world-searchable temp folder holding a folder that belongs to `user`. */
function foldersFor(t: Parameters<typeof tempDir>[0], user: TestUser, name: string): { base: string; userDir: string } {
  const base = tempDir(t)
  chmodSync(base, 0o755)
  const userDir = join(base, name)
  mkdirSync(userDir)
  chownSync(userDir, user.uid, user.gid)
  return { base, userDir }
}

describe('log paths are opened as the program\'s user (daemon is root)', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  test('a symlink planted by the user is not followed; a root-owned file is not written', async (t) => {
    const user = createUser(t)
    const daemon = await startDaemon(t)
    const { base, userDir } = foldersFor(t, user, 'user-logs')
    // Something only root may write.
    const precious = join(base, 'precious')
    writeFileSync(precious, 'root data\n', { mode: 0o644 })
    symlinkSync(precious, join(userDir, 'out.log'))
    lchownSync(join(userDir, 'out.log'), user.uid, user.gid)

    await daemon.add({ name: 'sneaky', command: 'echo pwned', user: user.name, stdout_logfile: join(userDir, 'out.log'), startretries: 0 })
    const viaLink = await daemon.post('/programs/sneaky/start')
    assert.equal(viaLink.status, 500, JSON.stringify(viaLink.body))
    assert.equal(viaLink.body.code, 'SPAWN_ERROR')
    assert.ok(viaLink.body.error.includes(join(userDir, 'out.log')), `error: ${viaLink.body.error}`)
    assert.match(viaLink.body.error, /symlink/, viaLink.body.error)

    await daemon.add({ name: 'direct', command: 'echo pwned', user: user.name, stdout_logfile: precious, startretries: 0 })
    const direct = await daemon.post('/programs/direct/start')
    assert.equal(direct.body.code, 'SPAWN_ERROR')
    assert.ok(direct.body.error.includes(precious), direct.body.error)

    await daemon.add({ name: 'create', command: 'echo pwned', user: user.name, stdout_logfile: join(base, 'new.log'), startretries: 0 })
    const create = await daemon.post('/programs/create/start')
    assert.equal(create.body.code, 'SPAWN_ERROR', 'may not create files in a root folder')
    assert.equal(existsSync(join(base, 'new.log')), false)
    assert.equal(readFileSync(precious, 'utf8'), 'root data\n', 'never written')
  })

  test('a path the user may write works, and a new log belongs to the user', async (t) => {
    const user = createUser(t)
    const daemon = await startDaemon(t)
    const { userDir } = foldersFor(t, user, 'mine')
    const path = join(userDir, 'app.log')
    await daemon.add({ name: 'fine', command: `sh -c 'echo hello; sleep 1000'`, user: user.name, stdout_logfile: path, startsecs: 0 })
    assert.equal((await daemon.post('/programs/fine/start')).status, 200)
    await waitFor(() => existsSync(path) && readFileSync(path, 'utf8') === 'hello\n')
    assert.equal(statSync(path).uid, user.uid)
    await daemon.post('/programs/fine/stop')
    await waitForStatus(daemon, 'fine', 'STOPPED')
  })
})
