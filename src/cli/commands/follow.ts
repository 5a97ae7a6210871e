// Print a live log stream until Ctrl-C (or the daemon ends it).
import type { LogEvent } from '../../client/index.js'
import type { Context } from '../context.js'

export async function followLogs({ print }: Context, events: AsyncIterable<LogEvent>): Promise<void> {
  for await (const event of events) {
    if (print.json) {
      print.out(JSON.stringify(event))
    } else if (event.type === 'line') {
      if (event.stream === 'stdout') print.out(event.line)
      else process.stderr.write(`${event.line}\n`)
    } else if (event.type === 'dropped') {
      process.stderr.write(`[hoody: ${event.bytes} bytes skipped: this terminal was too slow]\n`)
    }
  }
}
