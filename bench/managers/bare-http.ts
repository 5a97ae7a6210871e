// The floor for any manager driven over HTTP: bare-http-server.ts in its own process, sent the
// same two requests per program (add, then start) by the same kind of client as Hoody Daemon.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'node:http'
import type { BenchProgram, Manager, ManagerStatus } from './manager.js'
import { inBatches } from './hoody.js'
import { untilExit, waitUntil } from './util.js'

const SERVER = fileURLToPath(new URL('./bare-http-server.ts', import.meta.url))

export class BareHttpManager implements Manager {
  readonly label = 'bare HTTP spawner'
  private child: ChildProcess | undefined
  private url = ''
  private readonly agent = new Agent({ keepAlive: true })
  statusRequest: Manager['statusRequest']

  async up(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
    this.child = child
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    this.url = await waitUntil(() => /listening on (\S+)/.exec(out)?.[1], 15_000, 'the bare HTTP spawner to listen')
    this.statusRequest = { url: `${this.url}/status`, method: 'GET' }
  }

  async down(): Promise<void> {
    this.agent.destroy()
    if (this.child === undefined) return
    this.child.kill('SIGTERM')
    await untilExit(this.child)
  }

  private send(method: string, path: string, body?: unknown): Promise<string> {
    const text = body === undefined ? undefined : JSON.stringify(body)
    return new Promise((resolve, reject) => {
      const outgoing = request(`${this.url}${path}`, {
        method, agent: this.agent,
        headers: text === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
      }, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => { chunks.push(chunk) })
        response.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')) })
        response.on('error', reject)
      })
      outgoing.on('error', reject)
      outgoing.end(text)
    })
  }

  async startAll(programs: readonly BenchProgram[]): Promise<void> {
    await inBatches(programs, 64, async (program) => {
      await this.send('POST', '/add', { name: program.name, argv: program.argv, ...(program.stdoutFile === undefined ? {} : { stdoutFile: program.stdoutFile }) })
      await this.send('POST', `/start/${program.name}`)
    })
  }

  async stopAll(programs: readonly BenchProgram[]): Promise<void> {
    await inBatches(programs, 64, async (program) => { await this.send('POST', `/remove/${program.name}`) })
  }

  async status(): Promise<ManagerStatus[]> {
    return JSON.parse(await this.send('GET', '/status')) as ManagerStatus[]
  }

  managerPids(): number[] {
    return this.child?.pid === undefined ? [] : [this.child.pid]
  }
}
