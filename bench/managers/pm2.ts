// PM2 from the devDependency, with its own PM2_HOME in a temp dir, driven by its CLI.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { BenchProgram, Manager, ManagerStatus } from './manager.js'
import { discardDir } from './util.js'

const run = promisify(execFile)
const PM2 = fileURLToPath(new URL('../../node_modules/pm2/bin/pm2', import.meta.url))

export class Pm2Manager implements Manager {
  readonly label = 'PM2'
  private home = ''

  private pm2(args: string[]) {
    return run(process.execPath, [PM2, ...args], { env: { ...process.env, PM2_HOME: this.home }, maxBuffer: 256 * 1024 * 1024 })
  }

  async up(): Promise<void> {
    this.home = mkdtempSync(join(tmpdir(), 'bench-pm2-'))
    await this.pm2(['ping'])
  }

  async down(): Promise<void> {
    await this.pm2(['kill']).catch(() => undefined)
    discardDir(this.home)
  }

  async startAll(programs: readonly BenchProgram[]): Promise<void> {
    // One ecosystem file: PM2's fastest way to start many processes at once.
    const apps = programs.map((p) => ({
      name: p.name, script: p.argv[0], args: p.argv.slice(1), interpreter: 'none', autorestart: true,
      ...(p.stdoutFile === undefined ? {} : { out_file: p.stdoutFile }),
    }))
    const file = join(this.home, `ecosystem-${Date.now()}.json`)
    const { writeFileSync } = await import('node:fs')
    writeFileSync(file, JSON.stringify({ apps }))
    await this.pm2(['start', file])
  }

  async stopAll(): Promise<void> {
    await this.pm2(['delete', 'all'])
  }

  async status(): Promise<ManagerStatus[]> {
    const { stdout } = await this.pm2(['jlist'])
    const list = JSON.parse(stdout.slice(stdout.indexOf('['))) as { name: string; pid: number; pm2_env: { status: string } }[]
    return list.map((p) => ({ name: p.name, running: p.pm2_env.status === 'online', pid: p.pid === 0 ? null : p.pid }))
  }

  async tail(program: BenchProgram, lines: number): Promise<string> {
    const { stdout } = await this.pm2(['logs', program.name, '--lines', String(lines), '--nostream', '--raw', '--out'])
    return stdout
  }

  managerPids(): number[] {
    try {
      return [Number(readFileSync(join(this.home, 'pm2.pid'), 'utf8'))]
    } catch {
      return []
    }
  }
}
