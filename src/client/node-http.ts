// Requests through node:http(s) with a keep-alive agent, used by the transport under Node when
// no `fetch` was given. Node's fetch (undici, web streams, an AbortSignal per call) costs about
// three times the CPU per request; a deployment script adding 1000 programs spent more CPU in
// the client than the daemon spent serving it (docs/BENCHMARKS.md, P1). Loaded lazily, so the
// SDK still loads where there is no node:http (a browser then uses fetch).
import type { ClientRequest, Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http'

export interface RawAnswer {
  readonly status: number
  readonly text: string
}

export class RequestTimeout extends Error {
  override readonly name = 'TimeoutError'
}

export type Send = (method: string, url: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number) => Promise<RawAnswer>

interface Module {
  request(url: URL, options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest
  Agent: new (options: { keepAlive: boolean; maxSockets?: number }) => HttpAgent
}

/** A sender for this transport's base URL, or undefined where node:http is not there. */
export async function nodeSender(baseUrl: string): Promise<Send | undefined> {
  const runtime = (globalThis as { process?: { versions?: { node?: string } } }).process
  if (runtime?.versions?.node === undefined) return undefined
  const secure = baseUrl.startsWith('https:')
  let module: Module
  try {
    module = secure ? await import('node:https') : await import('node:http')
  } catch {
    return undefined
  }
  // One agent per client: its connections stay open between calls, like fetch's.
  const agent = new module.Agent({ keepAlive: true })
  const send: Send = (method, url, headers, body, timeoutMs) => new Promise<RawAnswer>((resolve, reject) => {
    const outgoing = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }
    const request = module.request(new URL(url), { method, headers: outgoing, agent }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      response.on('error', fail)
      response.on('end', () => {
        clearTimeout(timer)
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })
      })
    })
    const timer = setTimeout(() => { request.destroy(new RequestTimeout(`no answer within ${timeoutMs} ms`)) }, timeoutMs)
    function fail(error: Error): void {
      clearTimeout(timer)
      // A kept-alive connection the daemon closed as this request left: nothing was handled, so
      // it is sent once more on a new connection (what Node's documentation advises).
      if (request.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET') send(method, url, headers, body, timeoutMs).then(resolve, reject)
      else reject(error)
    }
    request.on('error', fail)
    request.end(body)
  })
  return send
}
