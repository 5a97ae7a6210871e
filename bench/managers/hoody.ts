// Hoody Daemon: the real server on a free port with a temp data dir.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HoodyDaemonClient } from '../../src/client/index.js'
import type { BenchProgram, Manager, ManagerStatus } from './manager.js'
import { discardDir, untilExit, waitUntil } from './util.js'

const BIN = fileURLToPath(new URL('../../dist/cli/hoody-daemon.js', import.meta.url))

function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/** The labels of the two Hoody Daemon columns: the report compares these with the others. */
export const HOODY_LABELS = { native: 'Hoody Daemon', supervisord: 'Hoody Daemon (supervisord engine)' } as const

export class HoodyManager implements Manager {
  readonly label: string
  private readonly engine: 'native' | 'supervisord'
  private child: ChildProcess | undefined
  private dataDir = ''
  private client: HoodyDaemonClient | undefined
  private url = ''
  statusRequest: Manager['statusRequest']

  constructor(engine: 'native' | 'supervisord' = 'native') {
    this.engine = engine
    this.label = HOODY_LABELS[engine]
  }

  async up(): Promise<void> {
    this.dataDir = mkdtempSync(join(tmpdir(), 'bench-hoody-'))
    // The bin itself, so the V8 flags of its shebang apply as they do for users.
    const child = spawn(BIN, ['serve', '--port', '0', '--data-dir', this.dataDir, '--log-level', 'warn', '--engine', this.engine], { stdio: ['ignore', 'pipe', 'inherit'] })
    this.child = child
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    this.url = await waitUntil(() => /listening on (\S+)/.exec(out)?.[1], 15_000, 'hoody-daemon to listen')
    this.client = new HoodyDaemonClient({ baseUrl: this.url, timeoutMs: 600_000 })
    this.statusRequest = { url: `${this.url}/api/v1/daemon/status`, method: 'GET' }
  }

  async down(): Promise<void> {
    if (this.child !== undefined) {
      this.child.kill('SIGTERM')
      await untilExit(this.child)
    }
    discardDir(this.dataDir)
  }

  private get api(): HoodyDaemonClient {
    if (this.client === undefined) throw new Error('not up')
    return this.client
  }

  async startAll(programs: readonly BenchProgram[]): Promise<void> {
    // Many clients at once, like a deployment script would; each add then start(wait=false).
    await inBatches(programs, 64, async (program) => {
      await this.api.daemon.programs.add({
        name: program.name, command: program.argv.map(quote).join(' '), startsecs: 0,
        ...(program.stdoutFile === undefined ? {} : { stdout_logfile: program.stdoutFile, stdout_logfile_maxbytes: 0 }),
      })
      await this.api.daemon.control.start(program.name, { wait: false })
    })
  }

  async stopAll(programs: readonly BenchProgram[]): Promise<void> {
    // Like supervisord's removeProcessGroup and PM2's delete: stopped and unregistered.
    await inBatches(programs, 64, async (program) => { await this.api.daemon.programs.remove(program.name) })
  }

  async status(): Promise<ManagerStatus[]> {
    return (await this.api.daemon.status.list()).map((s) => ({ name: s.id, running: s.status === 'RUNNING', pid: s.pid }))
  }

  async tail(program: BenchProgram, lines: number): Promise<string> {
    return (await this.api.daemon.logs.get(program.name, { lines })).stdout
  }

  /** The daemon, and with the supervisord engine its private supervisord: both are the manager's cost. */
  managerPids(): number[] {
    const pids = this.child?.pid === undefined ? [] : [this.child.pid]
    if (this.engine === 'supervisord') {
      try {
        pids.push(Number(readFileSync(join(this.dataDir, 'supervisord', 'supervisord.pid'), 'utf8').trim()))
      } catch {
        // not running
      }
    }
    return pids
  }
}

export async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await work(item)
    }
  }))
}
