// The floor for any manager driven over HTTP: bare-http-server.ts in its own process, sent the
// same two requests per program (add, then start) by the same client as Hoody Daemon.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { nodeSender, type Send } from '../../src/client/node-http.js'
import type { BenchProgram, Manager, ManagerStatus } from './manager.js'
import { inBatches } from './hoody.js'
import { untilExit, waitUntil } from './util.js'

const SERVER = fileURLToPath(new URL('./bare-http-server.ts', import.meta.url))

export class BareHttpManager implements Manager {
  readonly label = 'bare HTTP spawner'
  private child: ChildProcess | undefined
  private url = ''
  private sender: Send | undefined
  statusRequest: Manager['statusRequest']

  async up(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
    this.child = child
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    this.url = await waitUntil(() => /listening on (\S+)/.exec(out)?.[1], 15_000, 'the bare HTTP spawner to listen')
    this.statusRequest = { url: `${this.url}/status`, method: 'GET' }
    // The SDK's own sender: the same client, request for request, as the Hoody Daemon column.
    this.sender = await nodeSender(this.url)
  }

  async down(): Promise<void> {
    if (this.child === undefined) return
    this.child.kill('SIGTERM')
    await untilExit(this.child)
  }

  private async send(method: string, path: string, body?: unknown): Promise<string> {
    if (this.sender === undefined) throw new Error('not up')
    const text = body === undefined ? undefined : JSON.stringify(body)
    const answer = await this.sender(method, `${this.url}${path}`, text === undefined ? {} : { 'content-type': 'application/json' }, text, 600_000)
    return answer.text
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
