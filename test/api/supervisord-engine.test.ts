// --engine supervisord: the same API answers, carried out by a private supervisord that the
// daemon starts, watches and restarts. Skipped when supervisord is not installed (CI installs it).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { XmlRpcClient } from '../../src/core/supervisord/xmlrpc-client.js'
import { FIXTURES, startDaemon, waitForStatus, type DaemonHandle } from '../helpers/daemon.js'
import { isAlive, procStat } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'

const installed = spawnSync('sh', ['-c', 'command -v supervisord'], { stdio: 'ignore' }).status === 0

/** Every supervisord on the machine, with its command line. */
function supervisords(): Map<number, string> {
  const found = new Map<number, string>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      // The program itself, or python running it: not a daemon started with `--engine supervisord`.
      const isSupervisord = argv.slice(0, 2).some((word) => /(^|\/)supervisord$/.test(word))
      if (isSupervisord && isAlive(Number(entry))) found.set(Number(entry), argv.join(' '))
    } catch {
      // gone
    }
  }
  return found
}

const systemSocket = () => existsSync('/var/run/supervisor.sock') || existsSync('/run/supervisor.sock')

function privatePid(daemon: DaemonHandle): number {
  return Number(readFileSync(join(daemon.dataDir, 'supervisord', 'supervisord.pid'), 'utf8').trim())
}

/** The groups the daemon's private supervisord has now, asked over its socket. */
async function groupsOf(dataDir: string): Promise<string[]> {
  const client = new XmlRpcClient({ socketPath: join(dataDir, 'supervisord', 'supervisor.sock'), timeoutMs: 10_000 })
  try {
    const infos = await client.call('supervisor.getAllProcessInfo') as { group: string }[]
    return infos.map((info) => info.group).filter((group) => group !== 'hoody@events').sort()
  } finally {
    client.close()
  }
}

const sectionsOf = (dataDir: string) => readFileSync(join(dataDir, 'supervisord', 'programs', 'programs.conf'), 'utf8').match(/^\[program:[^\]]+\]$/gm) ?? []

async function start(t: TestContext): Promise<DaemonHandle> {
  return startDaemon(t, { args: ['--engine', 'supervisord'] })
}

describe('supervisord engine', { skip: installed ? false : 'supervisord is not installed (apt-get install supervisor)' }, () => {
  test('runs its own supervisord under the data dir; never a system-wide one', async (t) => {
    const before = supervisords()
    const socketBefore = systemSocket()
    const daemon = await start(t)
    const pid = privatePid(daemon)
    const dir = join(daemon.dataDir, 'supervisord')
    assert.ok(isAlive(pid))
    assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(-2).join(' '), `-c ${join(dir, 'supervisord.conf')}`)
    assert.ok(existsSync(join(dir, 'supervisor.sock')))
    // A session of its own: a Ctrl-C to the daemon's terminal does not reach it.
    assert.equal(procStat(pid)?.sid, pid)
    const health = await daemon.get('/health')
    assert.equal(health.status, 200)
    assert.equal(health.body.checks.supervisor, 'running')
    // Every supervisord that ran before is untouched, and every new one (other tests' daemons
    // may run beside this one) is a private one with its own config, never the system's.
    const after = supervisords()
    // (The private supervisord of another test's daemon may end meanwhile: only others count.)
    const privateOne = (cmdline: string) => /-c \S+\/supervisord\/supervisord\.conf/.test(cmdline)
    for (const [other, cmdline] of before) if (!privateOne(cmdline)) assert.equal(after.get(other), cmdline, `supervisord ${other} was touched`)
    for (const [other, cmdline] of after) {
      if (!before.has(other)) assert.match(cmdline, /-c \S+\/supervisord\/supervisord\.conf/, `supervisord ${other}: ${cmdline}`)
    }
    assert.equal(systemSocket(), socketBefore, 'the system socket was neither created nor removed')
    assert.equal(await daemon.stop(), 0)
    await waitFor(() => !isAlive(pid), { message: 'private supervisord to shut down with the daemon' })
  })

  test('add, start (real pid), stop (really gone), restart (new pid), logs', async (t) => {
    const daemon = await start(t)
    await daemon.add({ name: 'talker', command: "sh -c 'echo out-1; echo err-1 >&2; echo \"50% ; # done\"; exec sleep 1000'" })
    const started = await daemon.post('/programs/talker/start')
    assert.equal(started.status, 200)
    assert.equal(started.body.status, 'RUNNING')
    const { pid } = started.body
    assert.ok(isAlive(pid))
    assert.equal(procStat(pid)?.pgid, pid, 'the program leads its own process group')
    const status = (await daemon.get('/status/talker')).body
    assert.deepEqual({ ...status, uptime: 0 }, { id: 'talker', name: 'talker', status: 'RUNNING', pid, uptime: 0, exit_status: null })
    const again = await daemon.post('/programs/talker/start')
    assert.equal(again.body.pid, pid, 'start is idempotent')

    const logs = await waitFor(async () => {
      const body = (await daemon.get('/programs/talker/logs?lines=2')).body
      return body.stdout === 'out-1\n50% ; # done\n' ? body : undefined
    })
    assert.equal(logs.stderr, 'err-1\n')

    const restarted = await daemon.post('/programs/talker/restart')
    assert.equal(restarted.body.status, 'RUNNING')
    assert.notEqual(restarted.body.pid, pid)
    await waitFor(() => !isAlive(pid), { message: 'old pid gone after restart' })

    const newPid = restarted.body.pid
    const stopped = await daemon.post('/programs/talker/stop')
    assert.deepEqual(stopped.body, { success: true, message: 'Program stopped' })
    assert.equal(isAlive(newPid), false, 'stop answers once the process is gone')
    const after = (await daemon.get('/status/talker')).body
    assert.equal(after.status, 'STOPPED')
    assert.equal(after.pid, null)
    assert.equal(after.exit_status, 143, 'SIGTERM → 128 + 15')
  })

  test('autorestart after a SIGKILL from outside, with a new pid and exit_status 137', async (t) => {
    const daemon = await start(t)
    await daemon.add({ name: 'always', command: 'sleep 1000', startsecs: 0, autorestart: true })
    const { pid } = (await daemon.post('/programs/always/start')).body
    process.kill(pid, 'SIGKILL')
    const restarted = await waitFor(async () => {
      const s = (await daemon.get('/status/always')).body
      return s.status === 'RUNNING' && s.pid !== pid ? s : undefined
    })
    assert.ok(isAlive(restarted.pid))
    assert.equal(restarted.exit_status, 137)
  })

  test('the event relay runs; exits are reported within supervisord\'s own loop, not the 5 s safety poll', async (t) => {
    const daemon = await start(t)
    const dir = join(daemon.dataDir, 'supervisord')
    assert.ok(lstatSync(join(dir, 'events.fifo')).isFIFO())
    await daemon.add({ name: 'watched', command: 'sleep 1000', startsecs: 0, autorestart: false })
    const { pid } = (await daemon.post('/programs/watched/start')).body
    // The relay is a process of supervisord's, running its script against our FIFO.
    const relay = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).find((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(join(dir, 'event-relay.py'))
      } catch {
        return false
      }
    })
    assert.ok(relay !== undefined, 'the event relay runs')
    assert.equal(procStat(Number(relay))?.ppid, privatePid(daemon))
    // supervisord logs an exit when it reaps it, and hands the event to listeners in its next
    // loop turn (at most 1 s later, when nothing else wakes it): each report must come within
    // that, never as late as the 5 s safety poll.
    const lag: number[] = []
    let current = pid as number
    for (let round = 0; round < 7; round++) {
      process.kill(current, 'SIGKILL')
      const exited = await waitFor(async () => {
        const s = (await daemon.get('/status/watched')).body
        return s.status === 'EXITED' ? s : undefined
      }, { timeoutMs: 10_000, intervalMs: 5, message: 'the exit to be reported' })
      const reportedAt = Date.now()
      assert.equal(exited.exit_status, 137)
      const logged = [...readFileSync(join(dir, 'supervisord.log'), 'utf8').matchAll(/^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3}) \w+ exited: watched /gm)].at(-1)
      assert.ok(logged !== undefined, 'supervisord logged the exit')
      lag.push(reportedAt - new Date(`${logged[1]}T${logged[2]}.${logged[3]}`).getTime())
      current = (await daemon.post('/programs/watched/start')).body.pid
    }
    await daemon.post('/programs/watched/stop')
    assert.ok(lag.every((ms) => ms < 1500), `exits reported ${lag.join(', ')} ms after supervisord logged them`)
  })

  test('a missing executable: SPAWN_ERROR naming it, then FATAL after the retries', async (t) => {
    const daemon = await start(t)
    await daemon.add({ name: 'ghost', command: 'no-such-program-xyz --flag', startretries: 1 })
    const reply = await daemon.post('/programs/ghost/start')
    assert.equal(reply.status, 500)
    assert.equal(reply.body.code, 'SPAWN_ERROR')
    assert.match(reply.body.error, /executable 'no-such-program-xyz' not found in PATH/)
    const fatal = await waitForStatus(daemon, 'ghost', 'FATAL', 15_000)
    assert.equal(fatal.spawn_error, "executable 'no-such-program-xyz' not found in PATH")
    assert.equal(fatal.pid, null)
  })

  test('a program dying before startsecs: the native engine\'s spawn_error', async (t) => {
    const daemon = await start(t)
    // startsecs 2, not 1: supervisord's loop waits up to 1 s and checks startsecs before it reaps,
    // so on a loaded machine a program that died at once can pass for RUNNING (docs/engines.md).
    await daemon.add({ name: 'flaky', command: `${join(FIXTURES, 'exit-with.sh')} 1`, startsecs: 2, startretries: 0 })
    const reply = await daemon.post('/programs/flaky/start')
    assert.equal(reply.body.code, 'SPAWN_ERROR')
    const fatal = await waitForStatus(daemon, 'flaky', 'FATAL')
    assert.equal(fatal.spawn_error, 'exited with status 1 before startsecs (2 s)')
    assert.equal(fatal.exit_status, 1)
  })

  test('supervisord killed from outside: health 503 naming it, then restarted with its programs', async (t) => {
    const daemon = await start(t)
    await daemon.add({ name: 'kept', command: 'sleep 1000', startsecs: 0 })
    const { pid } = (await daemon.post('/programs/kept/start')).body
    const supervisor = privatePid(daemon)
    process.kill(supervisor, 'SIGKILL')
    const sick = await waitFor(async () => {
      const reply = await daemon.get('/health')
      return reply.status === 503 ? reply.body : undefined
    }, { intervalMs: 10 })
    assert.equal(sick.status, 'unhealthy')
    assert.match(sick.checks.supervisor, /supervisord was killed by SIGKILL/)
    const control = await daemon.post('/programs/kept/stop')
    assert.ok(control.status === 500 ? control.body.code === 'SUPERVISORD_ERROR' : control.status === 200)
    await waitFor(async () => (await daemon.get('/health')).status === 200, { timeoutMs: 20_000 })
    assert.notEqual(privatePid(daemon), supervisor)
    assert.equal(isAlive(pid), false, 'the orphan of the dead supervisord was stopped')
  })

  test('a supervisord killed while a program runs restarts it under the new one', async (t) => {
    const daemon = await start(t)
    await daemon.add({ name: 'again', command: 'sleep 1000', startsecs: 0 })
    const { pid } = (await daemon.post('/programs/again/start')).body
    process.kill(privatePid(daemon), 'SIGKILL')
    const back = await waitFor(async () => {
      const s = (await daemon.get('/status/again')).body
      return s.status === 'RUNNING' && s.pid !== pid ? s : undefined
    }, { timeoutMs: 20_000 })
    assert.ok(isAlive(back.pid))
    assert.equal(isAlive(pid), false)
  })

  test('a daemon killed with SIGKILL: the next one reconnects to the running supervisord', async (t) => {
    const first = await start(t)
    await first.add({ name: 'survivor', command: 'sleep 1000', startsecs: 0 })
    const { pid } = (await first.post('/programs/survivor/start')).body
    const supervisor = privatePid(first)
    await first.stop('SIGKILL')
    assert.ok(isAlive(pid))
    const second = await startDaemon(t, { dataDir: first.dataDir, args: ['--engine', 'supervisord'] })
    assert.equal(privatePid(second), supervisor)
    const status = await waitForStatus(second, 'survivor', 'RUNNING')
    assert.equal(status.pid, pid)
    await second.post('/programs/survivor/stop')
    assert.equal(isAlive(pid), false)
  })

  test('removed programs leave supervisord and its configuration; the others stay untouched', async (t) => {
    const daemon = await start(t)
    const names = Array.from({ length: 12 }, (_, i) => `many${i}`)
    await Promise.all(names.map((name) => daemon.add({ name, command: 'sleep 1000', startsecs: 0 })))
    const started = await Promise.all(names.map(async (name) => (await daemon.post(`/programs/${name}/start`)).body.pid as number))
    assert.deepEqual(await groupsOf(daemon.dataDir), [...names].sort())
    // Removed at once: their group calls go together, in one multicall.
    await Promise.all(names.slice(0, 10).map((name) => daemon.post(`/programs/remove/${name}`)))
    for (const pid of started.slice(0, 10)) assert.equal(isAlive(pid), false)
    assert.deepEqual(await waitFor(async () => {
      const groups = await groupsOf(daemon.dataDir)
      return groups.length === 2 ? groups : undefined
    }), ['many10', 'many11'])
    await waitFor(() => sectionsOf(daemon.dataDir).length === 2)
    assert.deepEqual(sectionsOf(daemon.dataDir), ['[program:many10]', '[program:many11]'])
    for (const [index, name] of ['many10', 'many11'].entries()) {
      const status = (await daemon.get(`/status/${name}`)).body
      assert.equal(status.status, 'RUNNING')
      assert.equal(status.pid, started[10 + index])
    }
  })

  test('a program removed and added back while other changes are pending keeps its group and starts', async (t) => {
    const daemon = await start(t)
    await daemon.add({ name: 'again', command: 'sleep 1000', startsecs: 0 })
    assert.equal((await daemon.post('/programs/again/start')).status, 200)
    for (let round = 0; round < 6; round++) {
      // Adds of other programs keep a sync queued: the removal of 'again' waits behind it, and
      // 'again' is added back before the removal's turn comes.
      const fillers = Array.from({ length: 4 }, (_, i) => daemon.add({ name: `filler${round}x${i}`, command: 'sleep 1000' }))
      assert.equal((await daemon.post('/programs/remove/again')).status, 200)
      await daemon.add({ name: 'again', command: 'sleep 1000', startsecs: 0 })
      await Promise.all(fillers)
      const started = await daemon.post('/programs/again/start')
      assert.equal(started.status, 200, JSON.stringify(started.body))
      assert.ok(isAlive(started.body.pid))
    }
    await waitFor(async () => (await groupsOf(daemon.dataDir)).includes('again'))
    assert.equal((await daemon.get('/status/again')).body.status, 'RUNNING')
  })

  test('a running program removed from programs.json while no daemon ran is stopped and leaves supervisord', async (t) => {
    const first = await start(t)
    await first.add({ name: 'dropped', command: 'sleep 1000', startsecs: 0 })
    await first.add({ name: 'kept', command: 'sleep 1000', startsecs: 0 })
    const dropped = (await first.post('/programs/dropped/start')).body.pid as number
    const kept = (await first.post('/programs/kept/start')).body.pid as number
    await first.stop('SIGKILL')
    const file = join(first.dataDir, 'programs.json')
    const programs = JSON.parse(readFileSync(file, 'utf8')) as { id: string }[]
    writeFileSync(file, JSON.stringify(programs.filter((program) => program.id !== 'dropped')))
    const second = await startDaemon(t, { dataDir: first.dataDir, args: ['--engine', 'supervisord'] })
    await waitFor(() => !isAlive(dropped), { timeoutMs: 20_000 })
    assert.deepEqual(await waitFor(async () => {
      const groups = await groupsOf(second.dataDir)
      return groups.length === 1 ? groups : undefined
    }), ['kept'])
    assert.deepEqual(sectionsOf(second.dataDir), ['[program:kept]'])
    assert.equal((await second.get('/status/kept')).body.pid, kept)
  })

  test('port-range programs get one section per port', async (t) => {
    const daemon = await start(t)
    await daemon.add({ name: 'ported', command: 'sleep 1000', startsecs: 0, port_range: { start: 42101, end: 42102 }, environment: { P: '{{PORT}}' } })
    const started = (await daemon.post('/programs/ported/start')).body
    assert.deepEqual(started.instances.map((i: any) => i.status), ['RUNNING', 'RUNNING'])
    const env = readFileSync(`/proc/${started.instances[1].pid}/environ`, 'utf8').split('\0')
    assert.ok(env.includes('P=42102'))
    // Every section in one include file: supervisord walks all sections read so far after each file.
    const dir = join(daemon.dataDir, 'supervisord', 'programs')
    assert.deepEqual(readdirSync(dir), ['programs.conf'])
    const sections = readFileSync(join(dir, 'programs.conf'), 'utf8').match(/^\[program:[^\]]+\]$/gm)
    assert.deepEqual(sections, ['[program:ported@42101]', '[program:ported@42102]'])
    await daemon.post('/programs/ported/stop')
  })
})

test('--engine with an unknown value is a configuration error (exit 2)', async () => {
  const result = spawnSync(join(process.cwd(), 'dist', 'cli', 'hoody-daemon.js'), ['serve', '--engine', 'systemd', '--port', '0'], { encoding: 'utf8' })
  assert.equal(result.status, 2)
  assert.match(result.stderr, /--engine 'systemd' is not an engine; use native or supervisord/)
})
