// Server-Sent Events → typed log events, as an async iterator.

/** A line of output. */
export interface LogLineEvent {
  readonly type: 'line'
  readonly stream: 'stdout' | 'stderr'
  readonly line: string
}

/** The daemon skipped output because this follower was too slow. */
export interface LogDroppedEvent {
  readonly type: 'dropped'
  readonly bytes: number
}

/** Following has begun; lines come next. */
export interface LogReadyEvent {
  readonly type: 'ready'
  readonly info: Record<string, unknown>
}

export type LogEvent = LogLineEvent | LogDroppedEvent | LogReadyEvent

function toEvent(name: string, data: string): LogEvent | undefined {
  if (name === 'stdout' || name === 'stderr') return { type: 'line', stream: name, line: data }
  if (name === 'dropped') return { type: 'dropped', bytes: Number((JSON.parse(data) as { bytes?: unknown }).bytes ?? 0) }
  if (name === 'ready') return { type: 'ready', info: JSON.parse(data) as Record<string, unknown> }
  return undefined
}

export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<LogEvent> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let buffer = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let name = 'message'
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) name = line.slice(7)
          else if (line.startsWith('data: ')) data.push(line.slice(6))
        }
        if (data.length === 0) continue
        const event = toEvent(name, data.join('\n'))
        if (event !== undefined) yield event
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}
