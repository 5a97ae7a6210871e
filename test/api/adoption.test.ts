// The daemon's own crash: a SIGKILLed daemon's programs are adopted by the next one, which
// supervises them as if it had started them: no orphan, no duplicate, a recycled pid untouched.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { cleanup } from '../helpers/cleanup.js'
import { exitOf, nativeOnly, startDaemon, tempDir, waitForStatus, type DaemonHandle } from '../helpers/daemon.js'
import { freePorts } from '../helpers/ports.js'
import { isAlive, killQuietly, procStat } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'
import { runtimeDirsOf } from '../../src/system/runtime-dir.js'

const PROGRAMS = 100

/** Pids of live processes whose command line is exactly `argv` (to count duplicates). */
function pidsRunning(argv: readonly string[]): number[] {
  const wanted = `${argv.join('\0')}\0`
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') === wanted && procStat(Number(entry))?.state !== 'Z') pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

async function statusById(daemon: DaemonHandle): Promise<Map<string, { status: string; pid: number | null; instances?: { port: number; pid: number | null; status: string }[] }>> {
  const list = (await daemon.get('/status')).body as { id: string; status: string; pid: number | null }[]
  return new Map(list.map((s) => [s.id, s]))
}

async function killDaemon(daemon: DaemonHandle): Promise<void> {
  daemon.child.kill('SIGKILL')
  await exitOf(daemon.child)
}

describe('adoption after the daemon is SIGKILLed', () => {
  test(`${PROGRAMS} programs, a port range and a chatty program are supervised again, not duplicated`, nativeOnly('adoption is a reconnect to the running supervisord, tested in supervisord-engine.test.ts'), async (t) => {
    const dataDir = tempDir(t)
    const first = await startDaemon(t, { dataDir })
    // A unique argument per program lets the test count its processes system-wide.
    const argvOf = (i: number) => ['sleep', String(100_000 + i)]
    await Promise.all(Array.from({ length: PROGRAMS }, (_, i) => first.add({ name: `s${i}`, command: argvOf(i).join(' '), startsecs: 0 })))
    const port = await freePorts(2)
    await first.add({ name: 'web', command: `sleep 2000{{PORT}}`, port_range: { start: port, end: port + 1 }, startsecs: 0 })
    await first.add({ name: 'chatty', command: `sh -c 'i=0; while true; do i=$((i+1)); echo line $i; sleep 0.02; done'`, startsecs: 0 })
    const ids = [...Array.from({ length: PROGRAMS }, (_, i) => `s${i}`), 'web', 'chatty']
    await Promise.all(ids.map((id) => first.post(`/programs/${id}/start`)))
    const before = await waitFor(async () => {
      const all = await statusById(first)
      return ids.every((id) => all.get(id)?.status === 'RUNNING' && all.get(id)?.pid !== null) ? all : undefined
    }, { timeoutMs: 60_000 })
    for (const status of before.values()) {
      for (const pid of [status.pid, ...(status.instances ?? []).map((i) => i.pid)]) if (pid !== null) cleanup(t, () => { killQuietly(pid) })
    }
    await waitFor(() => readFileSync(join(dataDir, 'logs', 'chatty.stdout.log'), 'utf8').includes('line 5\n'))
    // The output FIFOs are in memory (a tmpfs folder of this data dir) where the machine has one.
    const pipeHome = runtimeDirsOf(dataDir).find((dir) => existsSync(dir)) ?? join(dataDir, 'run')
    const records = JSON.parse(readFileSync(join(dataDir, 'processes.json'), 'utf8')) as { stdout_pipe: string }[]
    assert.ok(records.length > PROGRAMS && records.every((record) => record.stdout_pipe.startsWith(`${pipeHome}/programs/`)), `FIFOs under ${pipeHome}`)

    await killDaemon(first)
    const second = await startDaemon(t, { dataDir })
    const after = await statusById(second)
    for (const id of ids) {
      assert.equal(after.get(id)?.status, 'RUNNING', `${id} is RUNNING after the restart`)
      assert.equal(after.get(id)?.pid, before.get(id)?.pid, `${id} kept its pid: adopted, not restarted`)
    }
    assert.deepEqual(after.get('web')?.instances?.map((i) => [i.port, i.pid]), before.get('web')?.instances?.map((i) => [i.port, i.pid]))
    for (let i = 0; i < PROGRAMS; i++) assert.deepEqual(pidsRunning(argvOf(i)), [before.get(`s${i}`)?.pid], `exactly one process of s${i}`)

    // Its output goes on into the same log, without a repeated line.
    const logPath = join(dataDir, 'logs', 'chatty.stdout.log')
    const mark = readFileSync(logPath, 'utf8').split('\n').length
    await waitFor(() => readFileSync(logPath, 'utf8').split('\n').length > mark + 5)
    const numbers = readFileSync(logPath, 'utf8').split('\n').filter((l) => l.startsWith('line ')).map((l) => Number(l.slice(5)))
    assert.equal(new Set(numbers).size, numbers.length, 'no line written twice')
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'in order')

    // Stop, restart and an exit from outside all work on adopted processes.
    const stoppedPid = before.get('s0')?.pid as number
    assert.equal((await second.post('/programs/s0/stop')).status, 200)
    assert.equal(isAlive(stoppedPid), false, 'stop kills an adopted process')
    assert.equal((await second.get('/status/s0')).body.status, 'STOPPED')

    const restartedPid = before.get('s1')?.pid as number
    assert.equal((await second.post('/programs/s1/restart')).status, 200)
    const restarted = await waitForStatus(second, 's1', 'RUNNING')
    assert.notEqual(restarted.pid, restartedPid)
    assert.equal(isAlive(restartedPid), false)
    cleanup(t, () => { killQuietly(restarted.pid) })

    // autorestart is "unexpected": an adopted process's exit status is unknown, so it restarts.
    const crashedPid = before.get('s2')?.pid as number
    process.kill(crashedPid, 'SIGKILL')
    const respawned = await waitFor(async () => {
      const status = (await second.get('/status/s2')).body
      return status.status === 'RUNNING' && status.pid !== crashedPid ? status : undefined
    }, { timeoutMs: 10_000 })
    cleanup(t, () => { killQuietly(respawned.pid) })
    assert.deepEqual(pidsRunning(argvOf(2)), [respawned.pid])

    // A clean stop of the daemon leaves nothing behind and an empty record.
    assert.equal(await second.stop(), 0)
    for (const status of after.values()) if (status.pid !== null) assert.equal(isAlive(status.pid), false, `${status.pid} stopped with the daemon`)
    assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'processes.json'), 'utf8')), [])
    // FIFOs live in a tmpfs folder (removed at a clean stop) or, without tmpfs, under run/.
    for (const dir of [join(dataDir, 'run', 'programs'), ...runtimeDirsOf(dataDir).map((runDir) => join(runDir, 'programs'))]) {
      if (existsSync(dir)) assert.deepEqual(readdirSync(dir).filter((name) => !name.startsWith('.spare-')), [], `no FIFO left in ${dir}`)
    }
    assert.deepEqual(runtimeDirsOf(dataDir).filter((dir) => existsSync(dir)), [], 'the tmpfs folder is removed')
  })

  test('a recycled pid is never touched; a process of a disabled program is stopped', async (t) => {
    const dataDir = tempDir(t)
    const first = await startDaemon(t, { dataDir })
    await first.add({ name: 'kept', command: 'sleep 3001', startsecs: 0 })
    await first.add({ name: 'dropped', command: 'sleep 3002', startsecs: 0 })
    for (const id of ['kept', 'dropped']) await first.post(`/programs/${id}/start`)
    const kept = await waitForStatus(first, 'kept', 'RUNNING')
    const dropped = await waitForStatus(first, 'dropped', 'RUNNING')
    for (const pid of [kept.pid, dropped.pid]) cleanup(t, () => { killQuietly(pid) })
    await killDaemon(first)

    // While no daemon runs: "kept"'s record now names a bystander with a wrong start time (as if
    // the pid had been recycled), and "dropped" is disabled in programs.json.
    const bystander = spawn('sleep', ['1000'], { stdio: 'ignore', detached: true })
    cleanup(t, () => { killQuietly(bystander.pid as number) })
    const recordPath = join(dataDir, 'processes.json')
    const records = JSON.parse(readFileSync(recordPath, 'utf8')) as { id: string; pid: number; proc_start: string }[]
    writeFileSync(recordPath, JSON.stringify(records.map((r) => (r.id === 'kept' ? { ...r, pid: bystander.pid, proc_start: '1' } : r))))
    const programsPath = join(dataDir, 'programs.json')
    const programs = JSON.parse(readFileSync(programsPath, 'utf8')) as { id: string; enabled: boolean }[]
    writeFileSync(programsPath, JSON.stringify(programs.map((p) => (p.id === 'dropped' ? { ...p, enabled: false } : p))))

    const second = await startDaemon(t, { dataDir })
    assert.ok(isAlive(bystander.pid as number), 'a process with the pid but another start time survives')
    assert.equal(isAlive(dropped.pid), false, `the disabled program's process was stopped: ${second.stderr()} ${JSON.stringify(procStat(dropped.pid))}`)
    assert.equal((await second.get('/status/dropped')).body.status, 'STOPPED')
    // "kept" was running when the daemon died and its process is unknown: started afresh.
    const restarted = await waitForStatus(second, 'kept', 'RUNNING')
    cleanup(t, () => { killQuietly(restarted.pid) })
    assert.notEqual(restarted.pid, bystander.pid)
  })
})
