// Reading and following an instance's logs, for programs and quick-starts alike.
import type { LogsBody } from '../schema/logs.js'
import { tailFiles } from '../logs/tail.js'
import type { LogPaths, ProcessEngine } from './engine.js'

export type LogStream = 'stdout' | 'stderr'
export type StreamChoice = LogStream | 'both'

/** The files of one log, newest first: path, path.1 … path.N. */
export function rotatedFiles(path: string, backups: number): string[] {
  return [path, ...Array.from({ length: backups }, (_, i) => `${path}.${i + 1}`)]
}

export interface LogSource {
  readonly paths: LogPaths
  readonly stdoutBackups: number
  readonly stderrBackups: number
}

export async function readLogs(source: LogSource, lines: number): Promise<LogsBody> {
  const { paths } = source
  const [stdout, stderr] = await Promise.all([
    tailFiles(rotatedFiles(paths.stdout, source.stdoutBackups), lines),
    paths.stderr === null ? Promise.resolve('') : tailFiles(rotatedFiles(paths.stderr, source.stderrBackups), lines),
  ])
  return { stdout, stderr }
}

export type ChunkSink = (stream: LogStream, chunk: Buffer) => void

/**
 * Send the last `lines` lines of each chosen stream, then every new chunk as it is written.
 * Live chunks are subscribed before the backlog is read, and the backlog stops where the
 * writer had got to, so nothing is sent twice or missed. Returns the unsubscribe function.
 */
export async function followLogs(engine: ProcessEngine, source: LogSource, options: { stream: StreamChoice; lines: number }, sink: ChunkSink): Promise<() => void> {
  const streams: { stream: LogStream; path: string; backups: number }[] = []
  if (options.stream !== 'stderr') streams.push({ stream: 'stdout', path: source.paths.stdout, backups: source.stdoutBackups })
  if (options.stream !== 'stdout' && source.paths.stderr !== null) {
    streams.push({ stream: 'stderr', path: source.paths.stderr, backups: source.stderrBackups })
  }
  const unsubscribers: (() => void)[] = []
  for (const { stream, path, backups } of streams) {
    const pending: Buffer[] = []
    let live = false
    unsubscribers.push(engine.followLog(path, (chunk) => {
      if (live) sink(stream, chunk)
      else pending.push(chunk)
    }))
    if (options.lines > 0) {
      const backlog = await tailFiles(rotatedFiles(path, backups), options.lines, engine.logWrittenSize(path))
      if (backlog !== '') sink(stream, Buffer.from(backlog))
    }
    for (const chunk of pending.splice(0)) sink(stream, chunk)
    live = true
  }
  return () => { for (const unsubscribe of unsubscribers) unsubscribe() }
}
