// A small typed XML-RPC client for supervisord, over its unix socket. It speaks the subset that
// supervisord (Python's xmlrpc.client) emits: string, int/i4, boolean, double, nil, array, struct.
import { Agent, request } from 'node:http'

export type XmlRpcValue = string | number | boolean | null | XmlRpcValue[] | { [key: string]: XmlRpcValue }

/** A fault answered by the server: supervisord's `faultCode` names what went wrong. */
export class XmlRpcFault extends Error {
  readonly faultCode: number
  readonly faultString: string

  constructor(method: string, faultCode: number, faultString: string) {
    super(`${method}: ${faultString} (fault ${faultCode})`)
    this.name = 'XmlRpcFault'
    this.faultCode = faultCode
    this.faultString = faultString
  }
}

/** supervisord's fault codes that the engine reacts to (supervisor/xmlrpc.py). */
export const FAULTS = {
  BAD_NAME: 10,
  SPAWN_ERROR: 50,
  ABNORMAL_TERMINATION: 40,
  ALREADY_STARTED: 60,
  NOT_RUNNING: 70,
  ALREADY_ADDED: 90,
  STILL_RUNNING: 91,
  CANT_REREAD: 92,
} as const

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function unescapeText(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, entity: string) => {
    switch (entity) {
      case 'lt': return '<'
      case 'gt': return '>'
      case 'amp': return '&'
      case 'quot': return '"'
      case 'apos': return "'"
      default: return String.fromCodePoint(entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : Number(entity.slice(1)))
    }
  })
}

function encodeValue(value: XmlRpcValue): string {
  if (typeof value === 'string') return `<value><string>${escapeText(value)}</string></value>`
  if (typeof value === 'number') return Number.isInteger(value) ? `<value><int>${value}</int></value>` : `<value><double>${value}</double></value>`
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>`
  if (value === null) return '<value><nil/></value>'
  if (Array.isArray(value)) return `<value><array><data>${value.map(encodeValue).join('')}</data></array></value>`
  const members = Object.entries(value).map(([key, member]) => `<member><name>${escapeText(key)}</name>${encodeValue(member)}</member>`)
  return `<value><struct>${members.join('')}</struct></value>`
}

export function encodeCall(method: string, params: readonly XmlRpcValue[]): string {
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeText(method)}</methodName><params>${params.map((p) => `<param>${encodeValue(p)}</param>`).join('')}</params></methodCall>`
}

type Token = { kind: 'open' | 'close' | 'empty'; name: string } | { kind: 'text'; text: string }

function tokenize(xml: string): Token[] {
  const tokens: Token[] = []
  const pattern = /<\?[^>]*\?>|<(\/?)([A-Za-z][\w.-]*)[^>]*?(\/?)>|([^<]+)/g
  for (const match of xml.matchAll(pattern)) {
    const [, slash, name, selfClosing, text] = match
    if (text !== undefined) tokens.push({ kind: 'text', text })
    else if (name !== undefined) tokens.push({ kind: slash === '/' ? 'close' : selfClosing === '/' ? 'empty' : 'open', name })
  }
  return tokens
}

/** A recursive-descent reader over the tokens of one response. */
class Reader {
  private at = 0
  constructor(private readonly tokens: Token[]) {}

  /** Skip whitespace-only text. */
  private skip(): void {
    for (;;) {
      const token = this.tokens[this.at]
      if (token?.kind === 'text' && token.text.trim() === '') this.at++
      else return
    }
  }

  peek(): Token | undefined {
    this.skip()
    return this.tokens[this.at]
  }

  open(name: string): void {
    const token = this.peek()
    if (token?.kind !== 'open' || token.name !== name) throw new Error(`malformed XML-RPC answer: expected <${name}>`)
    this.at++
  }

  close(name: string): void {
    const token = this.peek()
    if (token?.kind !== 'close' || token.name !== name) throw new Error(`malformed XML-RPC answer: expected </${name}>`)
    this.at++
  }

  isOpen(name: string): boolean {
    const token = this.peek()
    return token?.kind === 'open' && token.name === name
  }

  /** Text up to the next tag (not skipping whitespace: it is data). */
  text(): string {
    let text = ''
    for (let token = this.tokens[this.at]; token?.kind === 'text'; token = this.tokens[++this.at]) text += token.text
    return unescapeText(text)
  }

  value(): XmlRpcValue {
    this.open('value')
    const token = this.tokens[this.at]
    // <value>text</value> without a type tag is a string.
    if (token?.kind === 'text' && this.tokens[this.at + 1]?.kind === 'close') {
      const text = this.text()
      this.close('value')
      return text
    }
    const typed = this.peek()
    let result: XmlRpcValue
    if (typed?.kind === 'close') {
      result = ''
    } else if (typed?.kind === 'empty') {
      this.at++
      result = typed.name === 'nil' ? null : typed.name === 'string' ? '' : null
    } else if (typed?.kind === 'open') {
      result = this.typed(typed.name)
    } else {
      throw new Error('malformed XML-RPC answer: bad <value>')
    }
    this.close('value')
    return result
  }

  private typed(name: string): XmlRpcValue {
    this.open(name)
    let result: XmlRpcValue
    switch (name) {
      case 'array': {
        const items: XmlRpcValue[] = []
        this.open('data')
        while (this.isOpen('value')) items.push(this.value())
        this.close('data')
        result = items
        break
      }
      case 'struct': {
        const members: Record<string, XmlRpcValue> = {}
        while (this.isOpen('member')) {
          this.open('member')
          this.open('name')
          const key = this.text()
          this.close('name')
          members[key] = this.value()
          this.close('member')
        }
        result = members
        break
      }
      case 'int': case 'i4': case 'i8': case 'double':
        result = Number(this.text().trim())
        break
      case 'boolean':
        result = this.text().trim() === '1'
        break
      default:
        result = this.text()
    }
    this.close(name)
    return result
  }
}

/** The value of a methodResponse, or the fault it carries (thrown). */
export function decodeResponse(method: string, xml: string): XmlRpcValue {
  const reader = new Reader(tokenize(xml))
  reader.open('methodResponse')
  if (reader.isOpen('fault')) {
    reader.open('fault')
    const fault = reader.value()
    const struct = typeof fault === 'object' && fault !== null && !Array.isArray(fault) ? fault : {}
    throw new XmlRpcFault(method, Number(struct.faultCode ?? 0), typeof struct.faultString === 'string' ? struct.faultString : 'unknown fault')
  }
  reader.open('params')
  reader.open('param')
  return reader.value()
}

export interface XmlRpcClientOptions {
  /** The unix socket supervisord listens on. */
  readonly socketPath: string
  /** Per-call limit unless a call gives its own. */
  readonly timeoutMs: number
}

const CONNECTIONS = 64

/**
 * One HTTP POST per call over the unix socket. Connections are kept and reused: supervisord
 * 4.2's poll loop keeps a closed connection's descriptor registered, and when the number is
 * reused by a log file it opens (always readable), the loop spins at 100 % CPU for good
 * (Supervisor/supervisor#807). A connection per call made that happen within seconds of
 * starting 200 programs. So calls share a fixed pool of connections that stay open (a stop
 * holds one until the program is stopped; more calls than connections wait their turn).
 */
export class XmlRpcClient {
  // At most this many connections, all kept: none is ever closed while supervisord runs.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS })

  constructor(private readonly options: XmlRpcClientOptions) {}

  /** Close the kept connections (supervisord is shut down or replaced). */
  close(): void {
    this.agent.destroy()
  }

  /**
   * Several calls in one request (system.multicall): one turn of supervisord's loop instead of
   * one per call, and each turn walks every process. Each answer is a value or its own fault.
   * supervisord answers each value as it is, not in the one-item array of Python's own
   * multicall; a struct with a faultCode is a fault.
   */
  async multicall(calls: readonly { method: string; params: readonly XmlRpcValue[] }[], timeoutMs = this.options.timeoutMs): Promise<(XmlRpcValue | XmlRpcFault)[]> {
    if (calls.length === 0) return []
    const answers = await this.call('system.multicall', [calls.map((c) => ({ methodName: c.method, params: [...c.params] }))], timeoutMs)
    return calls.map((c, index) => {
      const answer = Array.isArray(answers) ? answers[index] : undefined
      if (answer === undefined) return new XmlRpcFault(c.method, 0, 'no answer in the multicall')
      if (typeof answer === 'object' && answer !== null && !Array.isArray(answer) && typeof answer.faultCode === 'number') {
        return new XmlRpcFault(c.method, answer.faultCode, typeof answer.faultString === 'string' ? answer.faultString : 'unknown fault')
      }
      return answer
    })
  }

  call(method: string, params: readonly XmlRpcValue[] = [], timeoutMs = this.options.timeoutMs): Promise<XmlRpcValue> {
    const body = Buffer.from(encodeCall(method, params))
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.options.socketPath,
        path: '/RPC2',
        method: 'POST',
        agent: this.agent,
        headers: { 'content-type': 'text/xml', 'content-length': body.length, host: 'localhost' },
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`${method}: HTTP ${res.statusCode ?? 0} from supervisord`))
            return
          }
          try {
            resolve(decodeResponse(method, Buffer.concat(chunks).toString('utf8')))
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)))
          }
        })
      })
      req.setTimeout(timeoutMs, () => { req.destroy(new Error(`${method}: supervisord did not answer within ${timeoutMs} ms`)) })
      req.on('error', reject)
      req.end(body)
    })
  }
}
