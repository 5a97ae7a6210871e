// supervisord from the Debian package, with its own config, socket and XML-RPC in a temp dir.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchProgram, Manager, ManagerStatus } from './manager.js'
import { discardDir, untilExit, waitUntil } from './util.js'
import { call, requestBody } from './xmlrpc.js'

export function supervisordBinary(): string | undefined {
  for (const path of ['/usr/bin/supervisord', '/usr/local/bin/supervisord']) if (existsSync(path)) return path
  return undefined
}

/** Install the Debian package when missing (root only); never starts the system service. */
export function ensureSupervisord(): string | undefined {
  const found = supervisordBinary()
  if (found !== undefined || process.getuid?.() !== 0) return found
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' })
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'supervisor'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    // The package starts a system supervisord; the benchmark never uses it, so stop it.
    try { execFileSync('service', ['supervisor', 'stop'], { stdio: 'ignore' }) } catch { /* no init system here */ }
  } catch {
    return undefined
  }
  return supervisordBinary()
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

const quote = (word: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `"${word.replaceAll('"', '\\"')}"`)

export class SupervisordManager implements Manager {
  readonly label = 'supervisord'
  private child: ChildProcess | undefined
  private dir = ''
  private rpc = ''
  statusRequest: Manager['statusRequest']

  constructor(private readonly binary: string) {}

  async up(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'bench-supervisord-'))
    mkdirSync(join(this.dir, 'conf.d'))
    mkdirSync(join(this.dir, 'logs'))
    const port = await freePort()
    this.rpc = `http://127.0.0.1:${port}/RPC2`
    writeFileSync(join(this.dir, 'supervisord.conf'), `[unix_http_server]
file=${this.dir}/supervisor.sock
[inet_http_server]
port=127.0.0.1:${port}
[supervisord]
logfile=${this.dir}/supervisord.log
pidfile=${this.dir}/supervisord.pid
childlogdir=${this.dir}/logs
nodaemon=true
minfds=4096
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[include]
files = ${this.dir}/conf.d/*.conf
`)
    this.child = spawn(this.binary, ['-c', join(this.dir, 'supervisord.conf')], { stdio: 'ignore' })
    await waitUntil(async () => { try { return (await call(this.rpc, 'supervisor.getState')) !== null } catch { return false } }, 20_000, 'supervisord XML-RPC', 50)
    this.statusRequest = { url: this.rpc, method: 'POST', body: requestBody('supervisor.getAllProcessInfo', []), headers: { 'content-type': 'text/xml' } }
  }

  async down(): Promise<void> {
    if (this.child !== undefined) {
      this.child.kill('SIGTERM')
      await untilExit(this.child)
    }
    discardDir(this.dir)
  }

  async startAll(programs: readonly BenchProgram[]): Promise<void> {
    for (const program of programs) {
      writeFileSync(join(this.dir, 'conf.d', `${program.name}.conf`), `[program:${program.name}]
command=${program.argv.map(quote).join(' ')}
startsecs=0
autostart=true
autorestart=unexpected
stopasgroup=true
killasgroup=true
stdout_logfile=${program.stdoutFile ?? join(this.dir, 'logs', `${program.name}.out`)}
stdout_logfile_maxbytes=0
stderr_logfile=${join(this.dir, 'logs', `${program.name}.err`)}
`)
    }
    // The supervisord way: reread the include dir, then add every new group (which starts it).
    await call(this.rpc, 'supervisor.reloadConfig')
    for (const program of programs) await call(this.rpc, 'supervisor.addProcessGroup', [program.name])
  }

  async stopAll(programs: readonly BenchProgram[]): Promise<void> {
    await call(this.rpc, 'supervisor.stopAllProcesses', [true])
    for (const program of programs) {
      await call(this.rpc, 'supervisor.removeProcessGroup', [program.name]).catch(() => undefined)
      rmSync(join(this.dir, 'conf.d', `${program.name}.conf`), { force: true })
    }
  }

  async status(): Promise<ManagerStatus[]> {
    const infos = (await call(this.rpc, 'supervisor.getAllProcessInfo')) as { name: string; statename: string; pid: number }[]
    return infos.map((info) => ({ name: info.name, running: info.statename === 'RUNNING', pid: info.pid === 0 ? null : info.pid }))
  }

  async tail(program: BenchProgram, lines: number): Promise<string> {
    // supervisord tails by bytes: ask for a generous window and keep the last lines.
    const [text] = (await call(this.rpc, 'supervisor.tailProcessStdoutLog', [program.name, 0, lines * 200])) as [string, number, boolean]
    return text.split('\n').slice(-lines - 1).join('\n')
  }

  managerPids(): number[] {
    return this.child?.pid === undefined ? [] : [this.child.pid]
  }
}
