// fetch with a base URL, a bearer token, a timeout, and errors turned into HoodyApiError.
import { HoodyApiError, type HoodyErrorCode } from './errors.js'

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

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.fetchImpl = options.fetch ?? fetch
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
      throw networkError(error, this.baseUrl, timeoutMs, signal)
    }
    return parseAnswer<T>(response, options.alsoOk)
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
      throw networkError(error, this.baseUrl, this.timeoutMs, signal)
    }
    if (!response.ok) await parseAnswer(response)
    return response
  }
}

function networkError(error: unknown, baseUrl: string, timeoutMs: number, signal: AbortSignal | undefined): HoodyApiError {
  const timedOut = signal?.aborted === true && (signal.reason as Error | undefined)?.name === 'TimeoutError'
  const code: HoodyErrorCode = timedOut ? 'TIMEOUT' : 'CONNECTION_FAILED'
  const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
  const message = timedOut ? `no answer from hoody-daemon at ${baseUrl} within ${timeoutMs} ms` : `cannot reach hoody-daemon at ${baseUrl}: ${reason}`
  return new HoodyApiError({ code, status: 0, message, cause: error })
}

async function parseAnswer<T>(response: Response, alsoOk: number[] = []): Promise<T> {
  const text = await response.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    throw new HoodyApiError({ code: 'BAD_RESPONSE', status: response.status, message: `the daemon answered ${response.status} with something that is not JSON` })
  }
  if (response.ok || alsoOk.includes(response.status)) return body as T
  const envelope = (body ?? {}) as { error?: unknown; code?: unknown; details?: unknown }
  throw new HoodyApiError({
    code: (typeof envelope.code === 'string' ? envelope.code : 'BAD_RESPONSE') as HoodyErrorCode,
    status: response.status,
    message: typeof envelope.error === 'string' ? envelope.error : `HTTP ${response.status}`,
    details: envelope.details as Record<string, unknown> | undefined,
  })
}
