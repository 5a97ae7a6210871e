import assert from 'node:assert/strict'
import { chmodSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { FIXTURES, startDaemon, tempDir, waitForStatus } from '../helpers/daemon.js'
import { isAlive, killQuietly, procEnviron, procStat, procStatus } from '../helpers/proc.js'
import { createUser, IS_ROOT, NOT_ROOT_REASON } from '../helpers/users.js'
import { waitFor } from '../helpers/wait.js'
import { cleanup } from '../helpers/cleanup.js'

function readTree(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split(' ').map(Number)
}

describe('process groups', () => {
  test('stop reaches the child and the grandchild; none survives', async (t) => {
    const daemon = await startDaemon(t)
    const out = join(tempDir(t), 'tree')
    await daemon.add({ name: 'tree', command: `${join(FIXTURES, 'spawn-tree.sh')} ${out} polite`, startsecs: 0 })
    const { pid } = (await daemon.post('/programs/tree/start')).body
    await waitFor(() => existsSync(out))
    const tree = readTree(out)
    cleanup(t, () => { tree.forEach(killQuietly) })
    assert.equal(tree[0], pid)
    for (const member of tree) {
      assert.ok(isAlive(member))
      assert.equal(procStat(member)?.pgid, pid, 'every descendant is in the program\'s group')
    }
    await daemon.post('/programs/tree/stop')
    for (const member of tree) assert.equal(isAlive(member), false, `pid ${member} survived stop`)
  })

  test('descendants that ignore stopsignal are SIGKILLed after stopwaitsecs', async (t) => {
    const daemon = await startDaemon(t)
    const out = join(tempDir(t), 'tree')
    await daemon.add({ name: 'stubborn', command: `${join(FIXTURES, 'spawn-tree.sh')} ${out} stubborn`, startsecs: 0, stopwaitsecs: 1 })
    await daemon.post('/programs/stubborn/start')
    await waitFor(() => existsSync(out))
    const tree = readTree(out)
    cleanup(t, () => { tree.forEach(killQuietly) })
    const began = Date.now()
    await daemon.post('/programs/stubborn/stop')
    const took = Date.now() - began
    for (const member of tree) assert.equal(isAlive(member), false, `pid ${member} survived stop`)
    assert.ok(took >= 900, `escalation waited stopwaitsecs (${took} ms)`)
    assert.equal((await daemon.get('/status/stubborn')).body.status, 'STOPPED')
  })

  test('a program ignoring SIGTERM is killed; exit_status is 137', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'deaf', command: join(FIXTURES, 'ignore-term.sh'), startsecs: 0.5, stopwaitsecs: 1 })
    const { pid } = (await daemon.post('/programs/deaf/start')).body
    cleanup(t, () => { killQuietly(pid) })
    await daemon.post('/programs/deaf/stop')
    assert.equal(isAlive(pid), false)
    const status = (await daemon.get('/status/deaf')).body
    assert.equal(status.exit_status, 137)
  })

  test('stopsignal is what the group receives', async (t) => {
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    const marker = join(dir, 'got')
    await daemon.add({ name: 'hup', command: `sh -c 'trap "echo HUP > ${marker}; exit 0" HUP; while true; do sleep 0.05; done'`, startsecs: 0.5, stopsignal: 'HUP' })
    await daemon.post('/programs/hup/start')
    await daemon.post('/programs/hup/stop')
    assert.equal(readFileSync(marker, 'utf8').trim(), 'HUP')
  })

  test('leftovers of a leader that exited on its own are cleaned up', async (t) => {
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    const pidFile = join(dir, 'bg')
    await daemon.add({ name: 'leaver', command: `sh -c 'sleep 1000 & echo $! > ${pidFile}; sleep 0.3; exit 0'`, startsecs: 0 })
    await daemon.post('/programs/leaver/start')
    await waitForStatus(daemon, 'leaver', 'EXITED')
    const orphan = Number(readFileSync(pidFile, 'utf8'))
    cleanup(t, () => { killQuietly(orphan) })
    await waitFor(() => !isAlive(orphan), { timeoutMs: 3000, message: 'the background child to be killed with its group' })
  })
})

describe('environment, directory, command', () => {
  test('environment is merged over the daemon\'s; directory is the cwd; shell commands keep the pid', async (t) => {
    const daemon = await startDaemon(t, { env: { HOODY_FROM_DAEMON: 'inherited', HOODY_OVERRIDE: 'daemon' } })
    const dir = tempDir(t)
    await daemon.add({
      name: 'env', command: 'sleep 1000', startsecs: 0, directory: dir,
      environment: { HOODY_OVERRIDE: 'program', HOODY_SPACE: 'a b' },
    })
    const { pid } = (await daemon.post('/programs/env/start')).body
    const environ = procEnviron(pid)
    assert.equal(environ.HOODY_FROM_DAEMON, 'inherited')
    assert.equal(environ.HOODY_OVERRIDE, 'program')
    assert.equal(environ.HOODY_SPACE, 'a b')
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\x001000\x00')
    const { realpathSync, readlinkSync } = await import('node:fs')
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), realpathSync(dir))

    await daemon.add({ name: 'shell', command: 'sleep 1000 > /dev/null 2>&1', startsecs: 0 })
    const shell = (await daemon.post('/programs/shell/start')).body
    // sh -c 'exec …' replaces the shell: the same pid becomes the program itself.
    await waitFor(() => readFileSync(`/proc/${shell.pid}/cmdline`, 'utf8') === 'sleep\x001000\x00', { message: 'the shell to exec the program' })

    await daemon.add({ name: 'expand', command: 'echo "home=$HOME"', startsecs: 0, environment: { HOME: '/custom/home' } })
    await daemon.post('/programs/expand/start')
    await waitFor(() => readFileSync(join(daemon.dataDir, 'logs', 'expand.stdout.log'), 'utf8') === 'home=/custom/home\n')
  })

  test('runs as another user with uid, gid, supplementary groups and HOME/USER/LOGNAME', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, async (t) => {
    const user = createUser(t)
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'as-user', command: 'sleep 1000', user: user.name, startsecs: 0 })
    const { pid } = (await daemon.post('/programs/as-user/start')).body
    cleanup(t, () => { killQuietly(pid) })
    // setpriv switches identity and then execs the program under the same pid. Its own command
    // line ends with the program's too; its name (comm) is what changes at the exec.
    await waitFor(() => readFileSync(`/proc/${pid}/comm`, 'utf8') === 'sleep\n' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').endsWith('sleep\x001000\x00'), { message: 'setpriv to exec the program' })
    const status = procStatus(pid)
    assert.deepEqual(status.Uid?.split(/\s+/).map(Number), [user.uid, user.uid, user.uid, user.uid])
    assert.deepEqual(status.Gid?.split(/\s+/).map(Number), [user.gid, user.gid, user.gid, user.gid])
    assert.ok(status.Groups?.split(/\s+/).map(Number).includes(user.extraGid), `groups: ${status.Groups ?? ''}`)
    const environ = procEnviron(pid)
    assert.equal(environ.HOME, user.home)
    assert.equal(environ.USER, user.name)
    assert.equal(environ.LOGNAME, user.name)
    const { readlinkSync } = await import('node:fs')
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), user.home, 'defaults to the user\'s home')
    await daemon.post('/programs/as-user/stop')
    assert.equal(isAlive(pid), false)
  })

  test('a user deleted after add is USER_NOT_FOUND at start', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, async (t) => {
    const user = createUser(t)
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'ghost-user', command: 'sleep 1000', user: user.name })
    const { execFileSync } = await import('node:child_process')
    execFileSync('userdel', ['--remove', user.name], { stdio: 'ignore' })
    const reply = await daemon.post('/programs/ghost-user/start')
    assert.equal(reply.status, 400)
    assert.equal(reply.body.code, 'USER_NOT_FOUND')
  })

  test('a script only its owner may run is not run by another user', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, async (t) => {
    const user = createUser(t)
    const daemon = await startDaemon(t)
    const dir = tempDir(t)
    chmodSync(dir, 0o755)
    const { writeFileSync } = await import('node:fs')
    const script = join(dir, 'secret.sh')
    writeFileSync(script, '#!/bin/sh\nsleep 1000\n', { mode: 0o700 })
    // startsecs 2: on supervisord a program that dies at once can pass for RUNNING with startsecs 1 under load (docs/engines.md).
    await daemon.add({ name: 'denied', command: script, user: user.name, startretries: 0, startsecs: 2 })
    const reply = await daemon.post('/programs/denied/start')
    assert.equal(reply.status, 500)
    assert.equal(reply.body.code, 'SPAWN_ERROR')
  })
})
