// The posix_spawn spawner on its own: real children, their session, environment, descriptors,
// signal dispositions, and their exits collected through SIGCHLD.
import assert from 'node:assert/strict'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { posixSpawner, type ChildExit, type PosixSpawner } from '../../src/system/posix-spawn.js'
import { isAlive, procStat } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

const available = posixSpawner()

/** The spawner (the suite is skipped where there is none). */
function spawner(): PosixSpawner {
  if (available === undefined) throw new Error('no posix_spawn here')
  return available
}

function exitOf(pid: number): Promise<ChildExit> {
  return new Promise((resolve) => { spawner().watch(pid, resolve) })
}

describe('posix_spawn spawner', { skip: available === undefined ? 'glibc posix_spawn cannot be bound here' : false }, () => {
  test('a child in its own session, with the given directory, environment and output', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'posix-spawn-'))
    t.after(() => { rmSync(dir, { recursive: true, force: true }) })
    const outPath = join(dir, 'out')
    const out = openSync(outPath, 'w')
    const script = [
      'echo "cwd=$(pwd) value=$VALUE"',
      // Descriptors the child holds: 0, 1, 2 and the one ls opens to list them; nothing of ours.
      'ls /proc/self/fd | wc -l',
      'grep -E "^Sig(Ign|Blk)" /proc/self/status',
      'exec sleep 1000',
    ].join('; ')
    const spawned = await spawner().spawn({ file: '/bin/sh', argv: ['sh', '-c', script], env: { VALUE: 'x y', PATH: '/usr/bin:/bin' }, cwd: dir, stdout: out, stderr: out })
    closeSync(out)
    assert.ok('pid' in spawned, JSON.stringify(spawned))
    const { pid } = spawned
    const ended = exitOf(pid)
    t.after(() => { if (isAlive(pid)) process.kill(pid, 'SIGKILL') })
    const stat = procStat(pid)
    assert.ok(stat !== undefined, 'the child exists')
    assert.equal(stat.sid, pid, 'leads its own session')
    assert.equal(stat.pgid, pid, 'leads its own process group')
    assert.equal(stat.ppid, process.pid)
    await waitFor(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\x001000\x00')
    const lines = readFileSync(outPath, 'utf8').trim().split('\n')
    assert.equal(lines[0], `cwd=${dir} value=x y`)
    assert.equal(lines[1], '4')
    assert.deepEqual(lines.slice(2).map((line) => line.replace(/\s+/, ' ')), ['SigBlk: 0000000000000000', 'SigIgn: 0000000000000000'])
    process.kill(pid, 'SIGTERM')
    assert.deepEqual(await ended, { code: null, signal: 'SIGTERM' })
    assert.equal(isAlive(pid), false, 'reaped, not a zombie')
  })

  test('exit codes are collected for many children spawned at once, even those that ended before they were watched', async () => {
    // All 50 are in flight on the thread pool together; most have exited by the time they are watched.
    const spawned = await Promise.all(Array.from({ length: 50 }, (_, i) => spawner().spawn({ file: '/bin/sh', argv: ['sh', '-c', `exit ${i}`], env: {}, cwd: '/', stdout: 1, stderr: 2 })))
    const pids = spawned.map((outcome) => {
      assert.ok('pid' in outcome, JSON.stringify(outcome))
      return outcome.pid
    })
    assert.equal(new Set(pids).size, 50)
    const exits = await Promise.all(pids.map(exitOf))
    assert.deepEqual(exits, pids.map((_, i) => ({ code: i, signal: null })))
  })

  test('spawned here instead of on the pool (offload: false), the child and its exit are the same', async () => {
    const spawned = await spawner().spawn({ file: '/bin/sh', argv: ['sh', '-c', 'exit 7'], env: {}, cwd: '/', stdout: 1, stderr: 2 }, { offload: false })
    assert.ok('pid' in spawned, JSON.stringify(spawned))
    assert.deepEqual(await exitOf(spawned.pid), { code: 7, signal: null })
    assert.deepEqual(await spawner().spawn({ file: '/nonexistent/program', argv: ['x'], env: {}, cwd: '/', stdout: 1, stderr: 2 }, { offload: false }), { error: 'ENOENT' })
  })

  test('exec and directory failures come back as the errno name', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'posix-spawn-'))
    t.after(() => { rmSync(dir, { recursive: true, force: true }) })
    const notExecutable = join(dir, 'data')
    writeFileSync(notExecutable, 'plain data\n', { mode: 0o644 })
    const garbage = join(dir, 'garbage')
    writeFileSync(garbage, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0]), { mode: 0o755 })
    assert.deepEqual(await spawner().spawn({ file: '/nonexistent/program', argv: ['x'], env: {}, cwd: '/', stdout: 1, stderr: 2 }), { error: 'ENOENT' })
    assert.deepEqual(await spawner().spawn({ file: notExecutable, argv: ['x'], env: {}, cwd: '/', stdout: 1, stderr: 2 }), { error: 'EACCES' })
    assert.deepEqual(await spawner().spawn({ file: garbage, argv: ['x'], env: {}, cwd: '/', stdout: 1, stderr: 2 }), { error: 'ENOEXEC' })
    assert.deepEqual(await spawner().spawn({ file: '/bin/true', argv: ['true'], env: {}, cwd: '/nonexistent-dir', stdout: 1, stderr: 2 }), { error: 'ENOENT' })
  })
})
