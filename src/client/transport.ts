// Requests with a base URL, a bearer token, a timeout, and errors turned into HoodyApiError:
// through node:http under Node (see node-http.ts), through fetch elsewhere or when one is given.
import { HoodyApiError, type HoodyErrorCode } from './errors.js'
import { nodeSender, type RawAnswer, type Send } from './node-http.js'

export interface TransportOptions {
  readonly baseUrl: string
  readonly token?: string | undefined
  readonly timeoutMs?: number | undefined
  readonly fetch?: typeof fetch | undefined
}

export type Query = Record<string, string | number | boolean | undefined>

const PREFIX = '/api/v1/daemon'

export class Transport {
  readonly baseUrl: string
  private readonly token: string | undefined
  /** The per-request timeout of calls that do not wait on the daemon. */
  readonly timeoutMs: number
  private readonly fetchImpl: typeof fetch
  private sender: Promise<Send | undefined> | undefined

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.fetchImpl = options.fetch ?? fetch
    // A fetch given by the caller is always used (tests, proxies, custom TLS).
    if (options.fetch !== undefined) this.sender = Promise.resolve(undefined)
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
    const search = params.toString()
    return `${this.baseUrl}${PREFIX}${path}${search === '' ? '' : `?${search}`}`
  }

  headers(json: boolean): Record<string, string> {
    return {
      accept: 'application/json',
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...(this.token === undefined || this.token === '' ? {} : { authorization: `Bearer ${this.token}` }),
    }
  }

  /** Send a request and parse the JSON answer; a non-2xx answer throws HoodyApiError. */
  async request<T>(method: 'GET' | 'POST', path: string, options: { body?: unknown; query?: Query; timeoutMs?: number; alsoOk?: number[] } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs
    this.sender ??= nodeSender(this.baseUrl)
    const send = await this.sender
    if (send !== undefined) {
      let answer: RawAnswer
      try {
        answer = await send(method, this.url(path, options.query), this.headers(options.body !== undefined), options.body === undefined ? undefined : JSON.stringify(options.body), timeoutMs)
      } catch (error) {
        throw networkError(error, this.baseUrl, timeoutMs, (error as Error).name === 'TimeoutError')
      }
      return parseAnswer(answer, options.alsoOk) as T
    }
    const signal = AbortSignal.timeout(timeoutMs)
    let response: Response
    try {
      response = await this.fetchImpl(this.url(path, options.query), {
        method,
        headers: this.headers(options.body !== undefined),
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal,
      })
    } catch (error) {
      throw networkError(error, this.baseUrl, timeoutMs, timedOut(signal))
    }
    return parseAnswer({ status: response.status, text: await response.text() }, options.alsoOk) as T
  }

  /** Open a streaming GET (Server-Sent Events); the caller's signal ends it. */
  async stream(path: string, query: Query, signal?: AbortSignal): Promise<Response> {
    let response: Response
    try {
      response = await this.fetchImpl(this.url(path, query), {
        headers: { ...this.headers(false), accept: 'text/event-stream' },
        ...(signal === undefined ? {} : { signal }),
      })
    } catch (error) {
      throw networkError(error, this.baseUrl, this.timeoutMs, timedOut(signal))
    }
    if (!response.ok) parseAnswer({ status: response.status, text: await response.text() })
    return response
  }
}

function timedOut(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (signal.reason as Error | undefined)?.name === 'TimeoutError'
}

function networkError(error: unknown, baseUrl: string, timeoutMs: number, timedOut: boolean): HoodyApiError {
  const code: HoodyErrorCode = timedOut ? 'TIMEOUT' : 'CONNECTION_FAILED'
  const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
  const message = timedOut ? `no answer from hoody-daemon at ${baseUrl} within ${timeoutMs} ms` : `cannot reach hoody-daemon at ${baseUrl}: ${reason}`
  return new HoodyApiError({ code, status: 0, message, cause: error })
}

function parseAnswer(response: RawAnswer, alsoOk: number[] = []): unknown {
  const { text } = response
  const ok = response.status >= 200 && response.status < 300
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    throw new HoodyApiError({ code: 'BAD_RESPONSE', status: response.status, message: `the daemon answered ${response.status} with something that is not JSON` })
  }
  if (ok || alsoOk.includes(response.status)) return body
  const envelope = (body ?? {}) as { error?: unknown; code?: unknown; details?: unknown }
  throw new HoodyApiError({
    code: (typeof envelope.code === 'string' ? envelope.code : 'BAD_RESPONSE') as HoodyErrorCode,
    status: response.status,
    message: typeof envelope.error === 'string' ? envelope.error : `HTTP ${response.status}`,
    details: envelope.details as Record<string, unknown> | undefined,
  })
}
