// Server-Sent Events for live logs: one event per line (`event: stdout|stderr`, `data: <line>`),
// a `ready` event once following, `: ping` comments to keep proxies from timing out, and a
// bounded buffer: a client too slow to keep up loses lines and is told so by a `dropped` event.
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ChunkSink, LogStream } from '../core/daemon-core.js'

/** Past this much unsent data, output for a slow client is dropped rather than buffered. */
export const SSE_MAX_BUFFER = 1024 * 1024
const PING_MS = 15_000
const PARTIAL_FLUSH_MS = 100
const MAX_PARTIAL = 64 * 1024

export type FollowStarter = (sink: ChunkSink) => Promise<() => void>

/** The open event streams of one app. */
export type OpenStreams = Set<ServerResponse>

/** End every open stream when the app closes: a follower must not keep a shutdown waiting. */
export function endStreamsOnClose(app: FastifyInstance): OpenStreams {
  const streams: OpenStreams = new Set()
  app.addHook('preClose', async () => {
    // End the stream, then the connection: an idle keep-alive socket would hold close() too.
    for (const raw of streams) raw.end(() => { raw.socket?.destroy() })
    streams.clear()
  })
  return streams
}

function eventText(event: string, data: string): string {
  return `event: ${event}\n${data.split('\n').map((line) => `data: ${line}`).join('\n')}\n\n`
}

/** Turns chunks into whole lines per stream; a partial line waits briefly for its end. */
class LineSplitter {
  private partial = ''
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly emit: (line: string) => void) {}

  push(text: string): void {
    const lines = (this.partial + text).split('\n')
    this.partial = lines.pop() ?? ''
    for (const line of lines) this.emit(line)
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    if (this.partial.length > MAX_PARTIAL) this.flush()
    else if (this.partial !== '') this.timer = setTimeout(() => { this.flush() }, PARTIAL_FLUSH_MS)
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    if (this.partial === '') return
    const line = this.partial
    this.partial = ''
    this.emit(line)
  }
}

export interface StreamRequest {
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  readonly streams: OpenStreams
  /** Sent as the `ready` event. */
  readonly ready: Record<string, unknown>
}

export async function serveLogStream({ request, reply, streams, ready }: StreamRequest, start: FollowStarter): Promise<void> {
  const raw = reply.raw
  let open = false
  let dropped = 0
  const early: [LogStream, Buffer][] = []

  const send = (text: string) => {
    if (raw.destroyed) return
    if (raw.writableLength > SSE_MAX_BUFFER) {
      dropped += Buffer.byteLength(text)
      return
    }
    if (dropped > 0) {
      raw.write(eventText('dropped', JSON.stringify({ bytes: dropped, reason: 'client too slow; output skipped' })))
      dropped = 0
    }
    raw.write(text)
  }
  const splitters: Record<LogStream, LineSplitter> = {
    stdout: new LineSplitter((line) => { send(eventText('stdout', line)) }),
    stderr: new LineSplitter((line) => { send(eventText('stderr', line)) }),
  }
  const deliver = (stream: LogStream, chunk: Buffer) => { splitters[stream].push(chunk.toString('utf8')) }

  // Validation errors (unknown id, bad port) are thrown here, before any byte is sent.
  const stop = await start((stream, chunk) => {
    if (open) deliver(stream, chunk)
    else early.push([stream, chunk])
  })
  reply.hijack()
  const headers = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  }
  if (request.method === 'HEAD') {
    // A HEAD answer has no body, and Node sends the headers only with the first body byte or
    // the end: end it now, or the client waits forever on a follower nobody reads.
    stop()
    raw.writeHead(200, headers)
    raw.end()
    return
  }
  raw.writeHead(200, headers)
  raw.write(eventText('ready', JSON.stringify(ready)))
  for (const [stream, chunk] of early.splice(0)) deliver(stream, chunk)
  open = true
  const ping = setInterval(() => { if (!raw.destroyed) raw.write(': ping\n\n') }, PING_MS)
  const finish = () => {
    clearInterval(ping)
    stop()
    splitters.stdout.flush()
    splitters.stderr.flush()
  }
  streams.add(raw)
  request.raw.once('close', finish)
  raw.once('close', () => {
    streams.delete(raw)
    finish()
  })
}
