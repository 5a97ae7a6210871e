// The daemon as a container's PID 1 (a PID namespace made with unshare): orphans reparented to
// it are reaped, its own children's exits still reach it, and SIGTERM shuts it down cleanly.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { cleanup } from '../helpers/cleanup.js'
import { BIN, exitOf, tempDir } from '../helpers/daemon.js'
import { killQuietly, procStat } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0

/** Host pids of the processes whose parent is `ppid`, with their state and name. */
function childrenOf(ppid: number): { pid: number; state: string; name: string }[] {
  const found: { pid: number; state: string; name: string }[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === ppid) found.push({ pid: Number(entry), state: fields[0] ?? '?', name })
    } catch {
      // gone meanwhile
    }
  }
  return found
}

describe('as PID 1 of a PID namespace', { skip: canUnshare ? false : 'needs root and unshare' }, () => {
  test('reaps orphaned zombies, keeps its own children\'s exits, stops cleanly on SIGTERM', async (t) => {
    const dataDir = tempDir(t)
    const unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOODY_DAEMON_LOG_LEVEL: 'warn' },
    })
    let out = ''
    unshare.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    cleanup(t, async () => {
      if (unshare.exitCode === null && unshare.signalCode === null) {
        // Killing the namespace's PID 1 kills everything in the namespace.
        for (const child of childrenOf(unshare.pid as number)) killQuietly(child.pid)
        await exitOf(unshare)
      }
    })
    const url = await waitFor(() => /listening on (\S+)/.exec(out)?.[1], { timeoutMs: 15_000 })
    const [daemon] = childrenOf(unshare.pid as number)
    assert.ok(daemon !== undefined, 'the daemon runs under unshare')
    const api = (method: string, path: string, body?: unknown) => fetch(`${url}/api/v1/daemon${path}`, {
      method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    }).then(async (reply) => ({ status: reply.status, body: await reply.json() as Record<string, any> }))

    // Each round leaves two orphans: the subshells exit at once, their sleeps end 0.1 s later.
    const orphanMaker = `sh -c 'while true; do (sleep 0.1 &); (sleep 0.1 &); sleep 0.3; done'`
    assert.equal((await api('POST', '/programs/add', { name: 'orphans', command: orphanMaker, startsecs: 0 })).status, 201)
    assert.equal((await api('POST', '/programs/orphans/start')).status, 200)
    // The orphans are really reparented to the daemon…
    await waitFor(() => childrenOf(daemon.pid).some((c) => c.name === 'sleep'), { timeoutMs: 10_000 })
    // …and none of them stays a zombie: sampled over a few rounds, every zombie is gone soon.
    for (let round = 0; round < 3; round++) {
      const zombies = childrenOf(daemon.pid).filter((c) => c.state === 'Z').map((c) => c.pid)
      await waitFor(() => zombies.every((pid) => procStat(pid)?.state !== 'Z'), { timeoutMs: 5_000 })
    }
    // The daemon's own children are still its own to wait for: an exit status arrives.
    const job = await api('POST', '/quick-start', { command: 'sh -c "exit 7"' })
    assert.equal(job.status, 201)
    const finished = await waitFor(async () => {
      const status = (await api('GET', `/quick-start/${job.body.temporary_id as string}/status`)).body
      return status.status === 'EXITED' ? status : undefined
    }, { timeoutMs: 10_000 })
    assert.equal(finished.exit_status, 7)

    // The status names pids as the namespace sees them; the host sees the program as the daemon's sh child.
    const program = childrenOf(daemon.pid).find((c) => c.name === 'sh')
    assert.ok(program !== undefined)
    process.kill(daemon.pid, 'SIGTERM')
    assert.equal(await exitOf(unshare), 0, 'PID 1 exits 0 on SIGTERM')
    assert.equal(procStat(program.pid), undefined, 'its program is gone')
  })
})
