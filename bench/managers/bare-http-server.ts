// The least any manager driven over HTTP must do: a bare Node server that keeps programs in a
// Map, spawns one on request (its own group) and answers with its pid. Output is ignored, or
// piped into a file when the program names one (a Node stream pipe, nothing else). No
// validation, persistence, rotation or state machine. Prints its URL, as hoody-daemon does.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

interface Entry { name: string; argv: string[]; stdoutFile?: string; child: ChildProcess | null }
const programs = new Map<string, Entry>()

function body(request: IncomingMessage): Promise<Partial<Entry>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => { resolve(chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<Entry>) })
  })
}

function send(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(value))
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const [, action = '', name = ''] = (request.url ?? '').split('/')
  if (request.method === 'GET' && action === 'status') {
    send(response, 200, [...programs.values()].map((p) => ({ name: p.name, running: p.child !== null && p.child.exitCode === null && p.child.signalCode === null, pid: p.child?.pid ?? null })))
    return
  }
  const input = await body(request)
  const program = programs.get(name)
  if (action === 'add' && input.name !== undefined && input.argv !== undefined) {
    programs.set(input.name, { name: input.name, argv: input.argv, ...(input.stdoutFile === undefined ? {} : { stdoutFile: input.stdoutFile }), child: null })
    send(response, 201, { name: input.name })
  } else if (action === 'start' && program !== undefined) {
    const child = spawn(program.argv[0] ?? 'true', program.argv.slice(1), { stdio: ['ignore', program.stdoutFile === undefined ? 'ignore' : 'pipe', 'ignore'], detached: true })
    if (program.stdoutFile !== undefined) child.stdout?.pipe(createWriteStream(program.stdoutFile))
    program.child = child
    child.once('spawn', () => { send(response, 200, { pid: child.pid }) })
    child.once('error', (error) => { send(response, 500, { error: error.message }) })
  } else if (action === 'remove' && program !== undefined) {
    programs.delete(name)
    const child = program.child
    if (child === null || child.exitCode !== null || child.signalCode !== null) {
      send(response, 200, {})
      return
    }
    child.once('exit', () => { send(response, 200, {}) })
    child.kill('SIGTERM')
  } else {
    send(response, 404, {})
  }
}

const server = createServer((request, response) => { void handle(request, response) })
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`)
})
process.on('SIGTERM', () => {
  for (const program of programs.values()) program.child?.kill('SIGKILL')
  server.close()
  process.exit(0)
})
