// The daemon's end of a program's output FIFO: a non-blocking reader libuv can watch. The
// program gets the FIFO opened read-write, so the FIFO always has a reader while the program
// lives: if the daemon dies, the program's writes neither fail nor raise SIGPIPE (they block
// once the pipe's 64 KiB are full) until a new daemon opens the FIFO and reads on.
import { closeSync, constants, openSync } from 'node:fs'
import { PipeReader } from '../logs/capture.js'

export interface ProgramEnd {
  readonly path: string
  /** For the child's stdout/stderr; the daemon closes its copy once the child is spawned. */
  readonly fd: number
}

/** Open both ends of the FIFO at `path`: the reader first, so it sees no end of file before the program writes. */
export function openOutputPipe(path: string): { programEnd: ProgramEnd; reader: PipeReader } {
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  let writeFd: number
  try {
    writeFd = openSync(path, constants.O_RDWR)
  } catch (error) {
    closeSync(readFd)
    throw error
  }
  return { programEnd: { path, fd: writeFd }, reader: new PipeReader(readFd) }
}

/** A reader on the FIFO of a process that is already running (adoption). */
export function reopenOutputPipe(path: string): PipeReader {
  return new PipeReader(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK))
}
