// After a rotation, a root daemon reopens a program's own log path the way it opened it first:
// as the program's user, never following a symlink that user planted.
import assert from 'node:assert/strict'
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { nativeOnly, startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'
import { createUser, IS_ROOT, NOT_ROOT_REASON } from '../helpers/users.js'
import { waitFor } from '../helpers/wait.js'

describe('log rotation of a path chosen by the program (daemon is root)', { skip: IS_ROOT ? nativeOnly('supervisord reopens a rotated log as root').skip : NOT_ROOT_REASON }, () => {
  test('a symlink swapped in before a rotation is not followed by the reopen', async (t) => {
    const user = createUser(t)
    const daemon = await startDaemon(t)
    const base = tempDir(t)
    chmodSync(base, 0o755)
    const precious = join(base, 'precious')
    writeFileSync(precious, 'root data\n', { mode: 0o644 })
    const userDir = join(base, 'user-logs')
    mkdirSync(userDir)
    chownSync(userDir, user.uid, user.gid)
    const log = join(userDir, 'app.log')
    // The user makes the rotation's rename fail (app.log.1 is a non-empty folder), then swaps
    // its log for a symlink: the daemon must not reopen the symlink as root.
    const script = [
      `cd ${userDir}`,
      'mkdir -p app.log.1/keep',
      'echo first-line-of-output',
      'sleep 0.5',
      `rm -f app.log && ln -s ${precious} app.log`,
      'echo PWNED',
      'touch done',
      'exec sleep 1000',
    ].join('; ')
    await daemon.add({ name: 'swapper', command: `sh -c '${script}'`, user: user.name, stdout_logfile: log, stdout_logfile_maxbytes: 5, stdout_logfile_backups: 1, startsecs: 0 })
    assert.equal((await daemon.post('/programs/swapper/start')).status, 200)
    await waitFor(() => existsSync(join(userDir, 'done')))
    // Give the daemon time to try to write PWNED somewhere.
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(readFileSync(precious, 'utf8'), 'root data\n', 'the root-owned file was not written')
    assert.ok(lstatSync(log).isSymbolicLink(), 'the planted symlink is still there, untouched')
    const health = await waitFor(async () => {
      const reply = await daemon.get('/health')
      return String(reply.body.checks?.supervisor).includes(log) ? reply.body : undefined
    }, { message: 'health to report the refused log' })
    assert.match(health.checks.supervisor, /symlink/)
    await daemon.post('/programs/swapper/stop')
    await waitForStatus(daemon, 'swapper', 'STOPPED')
  })
})
