// A deliberately dumb HTTP/1.1 client over a raw socket: it sends exactly the bytes it is given
// (request target, headers and body unnormalised), so hostile requests reach the daemon as
// written. fetch and node:http would resolve `../`, refuse control characters or fix headers.
import { connect } from 'node:net'

export interface RawRequest {
  method: string
  /** The request target, sent byte for byte (as latin1). */
  target: string
  headers: readonly (readonly [string, string])[]
  body?: Buffer | undefined
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  chunked?: boolean | undefined
  /**
   * Send `Expect: 100-continue` and the body only after the server asks for it. A server that
   * refuses on the headers alone (413) answers and closes at once; a client still writing its
   * body then gets a reset that may swallow the answer (curl does the same).
   */
  expectContinue?: boolean | undefined
}

export interface RawReply {
  status: number
  headers: Record<string, string>
  body: Buffer
  text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
  /** True for a text/event-stream answer (read up to its first event, then closed). */
  stream: boolean
}

/** The connection ended (or, with code TIMEOUT, stalled) before a complete answer arrived. */
export class NoAnswerError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message)
  }
}

function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = data.indexOf('\r\n', at)
    if (eol < 0) return undefined
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16)
    if (Number.isNaN(size)) return undefined
    if (size === 0) return Buffer.concat(parts)
    if (data.length < eol + 2 + size + 2) return undefined
    parts.push(data.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}

interface Head {
  status: number
  headers: Record<string, string>
  bodyStart: number
}

function parseHead(data: Buffer): Head | undefined {
  let start = 0
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start)
    if (end < 0) return undefined
    const lines = data.subarray(start, end).toString('latin1').split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1])
    if (Number.isNaN(status)) throw new Error(`not an HTTP answer: ${JSON.stringify(lines[0])}`)
    // Skip interim answers (100 Continue).
    if (status >= 100 && status < 200) {
      start = end + 4
      continue
    }
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    return { status, headers, bodyStart: end + 4 }
  }
}

export function rawRequest(port: number, request: RawRequest, timeoutMs: number): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let data = Buffer.alloc(0)
    let settled = false
    const finish = (error: Error | undefined, reply?: RawReply) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (error !== undefined) reject(error)
      else resolve(reply!)
    }
    const timer = setTimeout(() => {
      finish(new NoAnswerError(`no complete answer within ${timeoutMs} ms (got ${data.length} bytes: ${JSON.stringify(data.subarray(0, 200).toString('latin1'))})`, 'TIMEOUT'))
    }, timeoutMs)

    const reply = (head: Head, body: Buffer, stream: boolean): RawReply => {
      const text = body.toString('utf8')
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: head.status, headers: head.headers, body, text, json, stream }
    }

    /** Try to complete the answer from what has arrived; `ended` when the server closed. */
    const attempt = (ended: boolean) => {
      let head: Head | undefined
      try {
        head = parseHead(data)
      } catch (error) {
        finish(error as Error)
        return
      }
      if (head === undefined) {
        if (ended) finish(new NoAnswerError(`connection closed without an answer (got ${data.length} bytes: ${JSON.stringify(data.subarray(0, 200).toString('latin1'))})`))
        return
      }
      const rest = data.subarray(head.bodyStart)
      if (request.method === 'HEAD' || head.status === 204 || head.status === 304) {
        finish(undefined, reply(head, Buffer.alloc(0), false))
        return
      }
      if ((head.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        // A live stream never ends by itself: its first event (`ready`) is the answer.
        if (rest.includes('event: ') || ended) finish(undefined, reply(head, rest, true))
        return
      }
      if (head.headers['transfer-encoding'] === 'chunked') {
        const body = dechunk(rest)
        if (body !== undefined) finish(undefined, reply(head, body, false))
        else if (ended) finish(new NoAnswerError('connection closed inside a chunked body'))
        return
      }
      const length = head.headers['content-length']
      if (length !== undefined) {
        const n = Number(length)
        if (rest.length >= n) finish(undefined, reply(head, rest.subarray(0, n), false))
        else if (ended) finish(new NoAnswerError(`connection closed after ${rest.length} of ${n} body bytes`))
        return
      }
      if (ended) finish(undefined, reply(head, rest, false))
    }

    let sendBody: (() => void) | undefined
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      if (sendBody !== undefined && /^HTTP\/1\.[01] 100 /.test(data.toString('latin1', 0, 16))) {
        sendBody()
        sendBody = undefined
      }
      attempt(false)
    })
    socket.on('end', () => { attempt(true) })
    socket.on('close', () => { attempt(true) })
    socket.on('error', (error: Error & { code?: string }) => {
      // A server may answer and then reset (an over-long header): the answer still counts.
      attempt(true)
      finish(new NoAnswerError(`${error.message} before a complete answer (got ${data.length} bytes)`, error.code))
    })
    socket.on('connect', () => {
      const lines = [`${request.method} ${request.target} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: close']
      for (const [name, value] of request.headers) lines.push(`${name}: ${value}`)
      const body = request.body
      if (body !== undefined) lines.push(request.chunked === true ? 'transfer-encoding: chunked' : `content-length: ${body.length}`)
      const waitForContinue = body !== undefined && request.expectContinue === true
      if (waitForContinue) lines.push('expect: 100-continue')
      const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
      let payload = body ?? Buffer.alloc(0)
      if (body !== undefined && request.chunked === true) {
        const chunks: Buffer[] = []
        for (let at = 0; at < body.length; at += 64 * 1024) {
          const piece = body.subarray(at, at + 64 * 1024)
          chunks.push(Buffer.from(`${piece.length.toString(16)}\r\n`, 'latin1'), piece, Buffer.from('\r\n', 'latin1'))
        }
        chunks.push(Buffer.from('0\r\n\r\n', 'latin1'))
        payload = Buffer.concat(chunks)
      }
      if (waitForContinue) {
        socket.write(head)
        sendBody = () => { socket.write(payload, () => undefined) }
        return
      }
      // The server may refuse early (413) and close while the body is still being written.
      socket.write(Buffer.concat([head, payload]), () => undefined)
    })
  })
}
