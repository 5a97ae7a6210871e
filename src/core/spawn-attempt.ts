// One attempt to spawn an instance's process with its output in place: log files open, a FIFO
// per stream, the process spawned with the FIFOs as stdout/stderr. Either everything exists
// afterwards, or nothing does and the reason says why. The instance decides what the attempt
// means for its state.
import { closeSync } from 'node:fs'
import { lineTimestamper, type PipeReader } from '../logs/capture.js'
import type { LogFile } from '../logs/log-file.js'
import type { LogFiles, OpenOptions } from '../logs/log-files.js'
import { openLogAs } from '../logs/safe-open.js'
import type { FifoPool } from '../system/fifo-pool.js'
import type { InstanceSpec } from './instance-spec.js'
import { openOutputPipe, type ProgramEnd } from './output-pipe.js'
import { portHolder } from './port-check.js'
import { spawnProcess, type SpawnedChild } from './spawner.js'
import { daemonIsRoot, findUserSync, identityOf, isDaemonUser } from './users.js'

export interface SpawnResources {
  readonly logFiles: LogFiles
  readonly pipes: FifoPool
}

/** The output side of a spawned process. */
export interface SpawnedOutput {
  readonly stdoutPipe: string
  /** null when stderr goes into stdout's FIFO. */
  readonly stderrPipe: string | null
  /** Start writing the pipes into the log files; resolves once both closed and all is written. */
  capture(): Promise<void>
  /** Close and remove everything (a process that must not be kept). */
  discard(): void
}

export type SpawnAttempt =
  | { readonly ok: true; readonly child: SpawnedChild; readonly pid: number; readonly output: SpawnedOutput }
  | { readonly ok: false; readonly reason: string }

interface OpenedPipe {
  readonly programEnd: ProgramEnd
  readonly reader: PipeReader
}

/**
 * Open the logs and FIFOs named `<pipeName>.out`/`.err`, and spawn. With `offload` (a burst of
 * spawns, see spawn-pace.ts) the log opens and the clone run on libuv's pool.
 */
export async function attemptSpawn(spec: InstanceSpec, resources: SpawnResources, pipeName: string, offload: boolean): Promise<SpawnAttempt> {
  if (spec.port !== 0) {
    const holder = portHolder(spec.port)
    if (holder !== undefined) return { ok: false, reason: `port ${spec.port} is already in use${holder === '' ? '' : ` by ${holder}`}` }
  }
  let files: LogFile[]
  try {
    files = offload ? await openLogsAsync(spec, resources.logFiles) : openLogs(spec, resources.logFiles)
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  }
  const releaseFiles = () => { for (const file of files) void resources.logFiles.release(file) }
  let pipes: OpenedPipe[]
  try {
    pipes = openPipes(spec, resources.pipes, pipeName)
  } catch (error) {
    releaseFiles()
    return { ok: false, reason: `cannot create the output pipe: ${(error as Error).message}` }
  }
  const removePipes = () => {
    for (const { programEnd, reader } of pipes) {
      reader.destroy()
      resources.pipes.remove(programEnd.path)
    }
  }
  const [stdoutPipe, stderrPipe = stdoutPipe] = pipes as [OpenedPipe, OpenedPipe?]
  const outcome = await spawnProcess(spec, { stdout: stdoutPipe.programEnd.fd, stderr: stderrPipe.programEnd.fd }, { offload })
  // The child has its own copies; ours would keep the FIFOs open (no end of file) for ever.
  for (const { programEnd } of pipes) closeSync(programEnd.fd)
  if (!outcome.ok) {
    removePipes()
    releaseFiles()
    return { ok: false, reason: outcome.reason }
  }
  return {
    ok: true,
    child: outcome.child,
    pid: outcome.pid,
    output: {
      stdoutPipe: stdoutPipe.programEnd.path,
      stderrPipe: pipes.length > 1 ? stderrPipe.programEnd.path : null,
      capture: () => captureOutput(spec, resources.logFiles, pipes.map((pipe) => pipe.reader), files),
      discard: () => {
        removePipes()
        releaseFiles()
      },
    },
  }
}

/** One FIFO for stdout, and one for stderr unless it is redirected. */
function openPipes(spec: InstanceSpec, fifos: FifoPool, name: string): OpenedPipe[] {
  const streams = spec.stderr === null ? ['out'] : ['out', 'err']
  const opened: OpenedPipe[] = []
  try {
    for (const stream of streams) {
      const path = fifos.take(`${name}.${stream}`)
      try {
        opened.push(openOutputPipe(path))
      } catch (error) {
        fifos.remove(path)
        throw error
      }
    }
  } catch (error) {
    for (const { programEnd, reader } of opened) {
      closeSync(programEnd.fd)
      reader.destroy()
      fifos.remove(programEnd.path)
    }
    throw error
  }
  return opened
}

/** Readers into log files (stdout's file takes stderr too when redirected); resolves when drained. */
export function captureOutput(spec: InstanceSpec, logFiles: LogFiles, readers: readonly PipeReader[], files: readonly LogFile[]): Promise<void> {
  const stdoutFile = files[0] as LogFile
  const stderrFile = files[1] ?? stdoutFile
  return new Promise((resolve) => {
    let open = readers.length
    const closed = () => {
      if (--open > 0) return
      void Promise.all(files.map((file) => file.idle())).then(() => {
        resolve()
        return Promise.all(files.map((file) => logFiles.release(file)))
      })
    }
    readers.forEach((reader, index) => {
      reader.captureInto(index === 0 ? stdoutFile : stderrFile, spec.logTimestamps ? lineTimestamper() : undefined, closed)
    })
  })
}

/** Open stdout (and stderr) logs; paths a program chose are opened as its user would. */
export function openLogs(spec: InstanceSpec, logFiles: LogFiles): LogFile[] {
  const files: LogFile[] = []
  try {
    for (const { path, options } of logTargets(spec)) files.push(logFiles.acquire(path, options))
  } catch (error) {
    for (const file of files) void logFiles.release(file)
    throw logOpenError(error)
  }
  return files
}

/** `openLogs` with the opens off the event loop (see LogFiles.acquireAsync). */
async function openLogsAsync(spec: InstanceSpec, logFiles: LogFiles): Promise<LogFile[]> {
  const opened = await Promise.allSettled(logTargets(spec).map(({ path, options }) => logFiles.acquireAsync(path, options)))
  const files = opened.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
  const failure = opened.find((outcome) => outcome.status === 'rejected')
  if (failure === undefined) return files
  for (const file of files) void logFiles.release(file)
  throw logOpenError(failure.reason)
}

function logTargets(spec: InstanceSpec): { path: string; options: OpenOptions }[] {
  const targets = spec.stderr === null ? [spec.stdout] : [spec.stdout, spec.stderr]
  const owner = !daemonIsRoot() || isDaemonUser(spec.user) ? undefined : findUserSync(spec.user)
  return targets.map((target) => {
    const openFd = owner !== undefined && target.chosenByProgram
      ? (path: string) => openLogAs(path, identityOf(owner))
      : undefined
    return { path: target.path, options: { policy: target.policy, ...(openFd === undefined ? {} : { openFd }) } }
  })
}

function logOpenError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error)
  return new Error(message.startsWith('log file') ? message : `cannot open log file: ${message}`)
}
