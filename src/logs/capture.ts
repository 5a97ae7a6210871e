// Connects a child's stdout/stderr pipes to log writers, honouring back-pressure.
import type { Readable } from 'node:stream'
import type { LogWriter } from './log-writer.js'

/** Pipe `source` into `writer`; resolves when the source has ended (the pipe closed). */
export function capture(source: Readable, writer: LogWriter): Promise<void> {
  return new Promise((resolve) => {
    source.on('data', (chunk: Buffer) => {
      if (!writer.write(chunk)) {
        source.pause()
        writer.onDrain(() => source.resume())
      }
    })
    source.once('close', () => { resolve() })
    // A read error on a pipe ends the capture; the process itself is watched elsewhere.
    source.once('error', () => { resolve() })
  })
}
