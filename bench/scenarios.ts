// The scenarios of docs/BENCHMARKS.md. Each returns plain numbers; run.ts repeats and reports.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs'
import { Agent, createServer, request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import type { BenchProgram, Manager } from './managers/manager.js'
import { rawRespawnMs, rawStartAll, rawStopAll } from './managers/raw.js'
import { alive, cpuSecondsOf, rssOf, untilExit, waitUntil } from './managers/util.js'
import { percentile } from './stats.js'

const sleepers = (n: number, tag: string): BenchProgram[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${tag}${i}`, argv: ['sleep', String(100000 + i)] }))

/** P1: register and start N programs until the manager reports all RUNNING; stop until gone. */
export async function p1(manager: Manager | 'raw', n: number): Promise<{ startMs: number; stopMs: number }> {
  const programs = sleepers(n, 'p1x')
  if (manager === 'raw') {
    const began = performance.now()
    const children = await rawStartAll(programs)
    const startMs = performance.now() - began
    const stopBegan = performance.now()
    await rawStopAll(children)
    return { startMs, stopMs: performance.now() - stopBegan }
  }
  const began = performance.now()
  await manager.startAll(programs)
  await waitUntil(async () => {
    const status = await manager.status()
    return status.filter((s) => s.running).length >= n
  }, 600_000, `${n} programs RUNNING`, 20)
  const startMs = performance.now() - began
  const pids = (await manager.status()).map((s) => s.pid).filter((pid): pid is number => pid !== null)
  const stopBegan = performance.now()
  await manager.stopAll(programs)
  await waitUntil(() => pids.every((pid) => !alive(pid)), 600_000, 'every process gone', 20)
  return { startMs, stopMs: performance.now() - stopBegan }
}

/** P2: SIGKILL a RUNNING program from outside; time until a new pid is alive and reported RUNNING. */
export async function p2(manager: Manager | 'raw', kills: number): Promise<number[]> {
  const times: number[] = []
  if (manager === 'raw') {
    for (let i = 0; i < kills; i++) times.push(await rawRespawnMs(['sleep', '100000']))
    return times
  }
  // One program per kill, so no crash-loop backoff (of any manager) is measured instead.
  const programs = sleepers(kills, 'p2x')
  await manager.startAll(programs)
  await waitUntil(async () => (await manager.status()).filter((s) => s.running).length >= kills, 120_000, 'P2 programs RUNNING', 20)
  for (const program of programs) {
    const before = (await manager.status()).find((s) => s.name === program.name)?.pid
    if (before == null) throw new Error(`no pid for ${program.name}`)
    const began = performance.now()
    process.kill(before, 'SIGKILL')
    await waitUntil(async () => {
      const now = (await manager.status()).find((s) => s.name === program.name)
      return now !== undefined && now.running && now.pid !== null && now.pid !== before && alive(now.pid)
    }, 60_000, 'respawn', 1)
    times.push(performance.now() - began)
  }
  await manager.stopAll(programs)
  return times
}

async function rps(request: NonNullable<Manager['statusRequest']>, seconds: number): Promise<{ rps: number; p99: number }> {
  const result = await autocannon({
    url: request.url, method: request.method, connections: 10, duration: seconds,
    ...(request.body === undefined ? {} : { body: request.body }), ...(request.headers === undefined ? {} : { headers: request.headers }),
  })
  return { rps: result.requests.average, p99: result.latency.p99 }
}

/** P3: status of all (100 programs) and of one, requests/s with keep-alive. */
export async function p3(manager: Manager | 'bare-node', seconds: number): Promise<{ all: number; one: number }> {
  if (manager === 'bare-node') {
    const body = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: `p3x${i}`, name: `p3x${i}`, status: 'RUNNING', pid: 1000 + i, uptime: 5, exit_status: null })))
    const one = JSON.stringify({ id: 'p3x0', name: 'p3x0', status: 'RUNNING', pid: 1000, uptime: 5, exit_status: null })
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(req.url?.endsWith('/all') === true ? body : one)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const all = await rps({ url: `http://127.0.0.1:${port}/all`, method: 'GET' }, seconds)
    const single = await rps({ url: `http://127.0.0.1:${port}/one`, method: 'GET' }, seconds)
    server.close()
    return { all: all.rps, one: single.rps }
  }
  if (manager.statusRequest === undefined) throw new Error('no HTTP status API')
  const programs = sleepers(100, 'p3x')
  await manager.startAll(programs)
  await waitUntil(async () => (await manager.status()).filter((s) => s.running).length >= 100, 120_000, 'P3 programs RUNNING', 20)
  const all = await rps(manager.statusRequest, seconds)
  const oneRequest = manager.label.startsWith('Hoody Daemon')
    ? { ...manager.statusRequest, url: `${manager.statusRequest.url}/p3x0` }
    : { ...manager.statusRequest, body: manager.statusRequest.body?.replace('getAllProcessInfo</methodName><params>', 'getProcessInfo</methodName><params><param><value><string>p3x0</string></value></param>') }
  const single = await rps(oneRequest, seconds)
  await manager.stopAll(programs)
  return { all: all.rps, one: single.rps }
}

function sha256(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0] ?? ''
}

/** P4: a program writes `bytes` of numbered lines to stdout; time until all of it is in the log file. */
export async function p4(manager: Manager | 'redirect', bytes: number): Promise<{ ms: number; intact: boolean; mbps: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-p4-'))
  const out = join(dir, 'out.log')
  // seq prints ~9.9 bytes a line at this scale: pick the count that gives about `bytes`.
  const lines = Math.round(bytes / 9.9)
  const reference = join(dir, 'reference.log')
  execFileSync('sh', ['-c', `seq 1 ${lines} > ${reference}`])
  const size = statSync(reference).size
  // The reference is a GiB of dirty pages: written back now, not by the kernel's flusher threads
  // during the timed run, whose speed then depended on how far the writeback had got.
  execFileSync('sync')
  const began = performance.now()
  if (manager === 'redirect') {
    execFileSync('sh', ['-c', `seq 1 ${lines} > ${out}`])
  } else {
    const program: BenchProgram = { name: 'p4x', argv: ['seq', '1', String(lines)], stdoutFile: out }
    await manager.startAll([program])
    await waitUntil(() => { try { return statSync(out).size >= size } catch { return false } }, 600_000, 'all output in the log', 5)
    await manager.stopAll([program])
  }
  const ms = performance.now() - began
  const intact = statSync(out).size === size && sha256(out) === sha256(reference)
  rmSync(dir, { recursive: true, force: true })
  return { ms, intact, mbps: size / 1e6 / (ms / 1000) }
}

/** P5: the manager's RSS and CPU while idle for `seconds` with the programs of P1 running. */
export async function p5(manager: Manager, n: number, seconds: number): Promise<{ rssMiB: number; cpuPercent: number }> {
  const programs = sleepers(n, 'p5x')
  await manager.startAll(programs)
  await waitUntil(async () => (await manager.status()).filter((s) => s.running).length >= n, 600_000, 'P5 programs RUNNING', 50)
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const pids = manager.managerPids()
  const cpuBefore = pids.reduce((t, pid) => t + cpuSecondsOf(pid), 0)
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const cpu = pids.reduce((t, pid) => t + cpuSecondsOf(pid), 0) - cpuBefore
  const rss = pids.reduce((t, pid) => t + rssOf(pid), 0)
  await manager.stopAll(programs)
  return { rssMiB: rss / 1048576, cpuPercent: (cpu / seconds) * 100 }
}

/** A log of `bytes` whose last lines are known: sparse padding, then 1000 numbered lines. */
function bigLog(dir: string, bytes: number): string {
  const path = join(dir, `log-${bytes}.log`)
  const fd = openSync(path, 'w')
  const tail = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}\n`).join('')
  writeSync(fd, Buffer.alloc(1, 10), 0, 1, Math.max(0, bytes - tail.length - 1))
  writeSync(fd, tail, bytes - tail.length)
  closeSync(fd)
  return path
}

/** P6: last 100 lines of a log of each size through the manager's own API/tool (ms per read). */
export async function p6(manager: Manager | 'tail', sizes: readonly number[], reads: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-p6-'))
  const result: Record<string, number> = {}
  for (const size of sizes) {
    const path = bigLog(dir, size)
    const program: BenchProgram = { name: `p6x${size}`, argv: ['sleep', '100000'], stdoutFile: path }
    if (manager !== 'tail') await manager.startAll([program])
    const times: number[] = []
    for (let i = 0; i < reads; i++) {
      const began = performance.now()
      const text = manager === 'tail' ? execFileSync('tail', ['-n', '100', path], { encoding: 'utf8' }) : await (manager.tail?.(program, 100) ?? Promise.resolve(''))
      times.push(performance.now() - began)
      if (!text.includes('line 1000')) throw new Error(`P6: ${manager === 'tail' ? 'tail' : manager.label} did not return the last lines`)
    }
    if (manager !== 'tail') await manager.stopAll([program])
    result[String(size)] = percentile(times, 0.5)
  }
  rmSync(dir, { recursive: true, force: true })
  return result
}

/** Latency of every request from 4 keep-alive clients in a loop, timed with hrtime (ms). */
async function latencies(target: NonNullable<Manager['statusRequest']>, seconds: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  const url = new URL(target.url)
  const times: number[] = []
  const until = Date.now() + seconds * 1000
  const once = () => new Promise<void>((resolve, reject) => {
    const began = process.hrtime.bigint()
    const req = httpRequest({ agent, host: url.hostname, port: url.port, path: url.pathname, method: target.method, headers: target.headers ?? {} }, (res) => {
      res.resume()
      res.once('end', () => {
        times.push(Number(process.hrtime.bigint() - began) / 1e6)
        resolve()
      })
    })
    req.once('error', reject)
    req.end(target.body)
  })
  await Promise.all(Array.from({ length: 4 }, async () => { while (Date.now() < until) await once() }))
  agent.destroy()
  return times
}

const FLOOD_ARGV = ['yes', 'flooding the log at full speed']

/** P7: /status p99 latency idle, then while one program floods stdout. */
export async function p7(manager: Manager, seconds: number): Promise<{ idleP99: number; floodP99: number }> {
  if (manager.statusRequest === undefined) throw new Error('no HTTP status API')
  const dir = mkdtempSync(join(tmpdir(), 'bench-p7-'))
  const idle = { p99: percentile(await latencies(manager.statusRequest, seconds), 0.99) }
  const flood: BenchProgram = { name: 'p7x', argv: FLOOD_ARGV, stdoutFile: join(dir, 'flood.log') }
  await manager.startAll([flood])
  await waitUntil(async () => (await manager.status()).some((s) => s.name === 'p7x' && s.running), 30_000, 'flood running', 20)
  const busy = { p99: percentile(await latencies(manager.statusRequest, seconds), 0.99) }
  await manager.stopAll([flood])
  rmSync(dir, { recursive: true, force: true })
  return { idleP99: idle.p99, floodP99: busy.p99 }
}

/**
 * P7's contention floor: the same windows, but the flood is a shell redirect beside the manager,
 * not one of its programs. The manager captures nothing; what its p99 loses is what a process
 * writing at full speed takes from the machine's cores (two here).
 */
export async function p7Beside(manager: Manager, seconds: number): Promise<{ idleP99: number; floodP99: number }> {
  if (manager.statusRequest === undefined) throw new Error('no HTTP status API')
  const dir = mkdtempSync(join(tmpdir(), 'bench-p7-'))
  const idle = { p99: percentile(await latencies(manager.statusRequest, seconds), 0.99) }
  const flood = spawn('sh', ['-c', 'exec "$@" > "$0"', join(dir, 'flood.log'), ...FLOOD_ARGV], { stdio: 'ignore' })
  try {
    await waitUntil(() => { try { return statSync(join(dir, 'flood.log')).size > 0 } catch { return false } }, 30_000, 'flood writing', 5)
    const busy = { p99: percentile(await latencies(manager.statusRequest, seconds), 0.99) }
    return { idleP99: idle.p99, floodP99: busy.p99 }
  } finally {
    flood.kill('SIGKILL')
    await untilExit(flood)
    rmSync(dir, { recursive: true, force: true })
  }
}
