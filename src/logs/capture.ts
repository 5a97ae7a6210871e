// Connects a child's stdout/stderr pipes to log files, honouring back-pressure, and optionally
// stamps each line with the time it was captured.
import type { Readable } from 'node:stream'
import type { LogFile } from './log-file.js'

export type ChunkTransform = (chunk: Buffer) => Buffer

/** Pipe `source` into `file`; resolves when the source has ended (the pipe closed). */
export function capture(source: Readable, file: LogFile, transform?: ChunkTransform): Promise<void> {
  return new Promise((resolve) => {
    source.on('data', (chunk: Buffer) => {
      if (!file.write(transform === undefined ? chunk : transform(chunk))) {
        source.pause()
        file.onDrain(() => source.resume())
      }
    })
    source.once('close', () => { resolve() })
    // A read error on a pipe ends the capture; the process itself is watched elsewhere.
    source.once('error', () => { resolve() })
  })
}

const NEWLINE = 0x0a

/**
 * Prefix every line with an ISO-8601 time. Stateful: a line split across chunks gets one stamp,
 * when its first byte arrives; a very long line is never buffered.
 */
export function lineTimestamper(now: () => Date = () => new Date()): ChunkTransform {
  let atLineStart = true
  return (chunk) => {
    const parts: Buffer[] = []
    let from = 0
    while (from < chunk.length) {
      if (atLineStart) {
        parts.push(Buffer.from(`${now().toISOString()} `))
        atLineStart = false
      }
      const newline = chunk.indexOf(NEWLINE, from)
      if (newline === -1) {
        parts.push(chunk.subarray(from))
        break
      }
      parts.push(chunk.subarray(from, newline + 1))
      from = newline + 1
      atLineStart = true
    }
    return Buffer.concat(parts)
  }
}
