import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chownSync } from 'node:fs'
import { describe, test } from 'node:test'
import { BIN, exitOf, tempDir } from '../helpers/daemon.js'
import { cleanup } from '../helpers/cleanup.js'
import { createUser, IS_ROOT, NOT_ROOT_REASON, type TestUser } from '../helpers/users.js'
import { waitFor } from '../helpers/wait.js'
import { spawn } from 'node:child_process'

const asUser = (user: TestUser) => ['/usr/bin/setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--']

describe('a daemon that is not root', () => {
  test('refuses to run a program as another user, with a clear spawn error', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, async (t) => {
    const user = createUser(t)
    const [setpriv, ...prefix] = asUser(user)
    const readable = spawnSync(setpriv!, [...prefix, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(BIN)})`])
    if (readable.status !== 0) {
      t.skip('the checkout is not readable by an unprivileged user here')
      return
    }
    const dataDir = tempDir(t)
    chownSync(dataDir, user.uid, user.gid)
    const child = spawn(setpriv!, [...prefix, process.execPath, BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOODY_DAEMON_LOG_LEVEL: 'warn' },
    })
    cleanup(t, async () => { child.kill('SIGTERM'); await exitOf(child) })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    const url = await waitFor(() => /listening on (\S+)/.exec(out)?.[1], { timeoutMs: 15_000 })
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${url}/api/v1/daemon${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: response.status, body: await response.json() as { code: string; error: string } }
    }
    assert.equal((await post('/programs/add', { name: 'as-root', command: 'sleep 100', user: 'root', startretries: 0 })).status, 201)
    const reply = await post('/programs/as-root/start', {})
    assert.equal(reply.status, 500)
    assert.equal(reply.body.code, 'SPAWN_ERROR')
    assert.match(reply.body.error, /cannot run as user 'root': the daemon is not running as root/)
    assert.equal((await post('/programs/add', { name: 'own', command: 'sleep 100', user: user.name, startsecs: 0 })).status, 201)
    const own = await post('/programs/own/start', {})
    assert.equal(own.status, 200, 'its own user is fine')
  })
})
