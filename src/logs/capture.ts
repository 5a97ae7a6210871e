// Connects a child's stdout/stderr pipes to log files, honouring back-pressure, and optionally
// stamps each line with the time it was captured.
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net'
import type { LogFile, SpliceSource } from './log-file.js'
import { giveReadBuffer, READ_BUFFER_BYTES as POOLED, takeReadBuffer } from './read-buffers.js'

export type ChunkTransform = (chunk: Buffer) => Buffer

type Sink = (chunk: Buffer, release: () => void) => boolean

/** The buffer a quiet pipe waits with; below half of Buffer.poolSize, so it is a slab slice. */
const QUIET = 1024
/** Bytes one pipe may read per turn of the event loop. */
const TURN_BUDGET = 256 * 1024
const noop = () => undefined

/**
 * The daemon's reading end of an output pipe (a FIFO opened non-blocking). Reads go into pooled
 * buffers (read-buffers.ts), each handed back once its bytes are written. A pipe that stays busy
 * stops reading and has its bytes spliced into the log file instead, until it runs dry.
 */
export class PipeReader implements SpliceSource {
  readonly pipeFd: number
  private readonly socket: Socket
  private sink: Sink | null = null
  /** The log file when its bytes go in unchanged (no timestamps): only then can they be spliced. */
  private plainFile: LogFile | null = null
  /** Splices are under way: reading must stay paused, or bytes would reach the file out of order. */
  private splicing = false
  private destroyAfterSplice = false
  /** The last read filled its buffer: more is likely waiting, so the next read gets a big one. */
  private busy = false
  /** Bytes read since the pipe last yielded to the event loop (see TURN_BUDGET). */
  private readThisTurn = 0
  /** Chunks read before `captureInto` (none in practice: it is called in the same tick). */
  private early: { chunk: Buffer; release: () => void }[] | null = null

  constructor(fd: number) {
    this.pipeFd = fd
    // The Socket constructor takes `onread` as connect() does (Node ≥ 12); @types/node lists it
    // for connect() only.
    const options: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd,
      readable: true,
      writable: false,
      onread: {
        buffer: () => this.nextBuffer(),
        callback: (bytes, buffer) => {
          this.busy = bytes === buffer.length
          const release = buffer.length === POOLED ? () => { giveReadBuffer(buffer as Buffer) } : noop
          return this.deliver(Buffer.from(buffer.buffer, buffer.byteOffset, bytes), release)
        },
      },
    }
    this.socket = new Socket(options)
    // A read error ends the capture as a close does (the socket closes after it); the process
    // itself is watched elsewhere.
    this.socket.on('error', noop)
  }

  /**
   * Write everything read into `file`; `closed` is called once the pipe has closed. A callback
   * rather than a promise: 2000 pipes of quiet programs each held a promise, its resolver and
   * two `once` wrappers, all marked again by every garbage collection (bench P5).
   */
  captureInto(file: LogFile, transform: ChunkTransform | undefined, closed: () => void): void {
    this.socket.on('close', closed)
    if (transform === undefined) this.plainFile = file
    this.sink = (chunk, release) => {
      if (file.write(transform === undefined ? chunk : transform(chunk), release)) return true
      file.onDrain(() => { this.resumeReading() })
      return false
    }
    if (this.early !== null) for (const { chunk, release } of this.early.splice(0)) this.sink(chunk, release)
    this.early = null
  }

  destroy(): void {
    // A splice on the pool still uses the descriptor: closed once it is back, never under it.
    if (this.splicing) this.destroyAfterSplice = true
    else this.socket.destroy()
  }

  /**
   * Node asks for the next read's buffer as soon as a read is done, and the pipe holds it until
   * data comes, for ever if the program is quiet. So a big pooled buffer only while the pipe is
   * busy; otherwise a small slice of Node's shared slab (1000 quiet programs would hold 125 MiB
   * of 64 KiB buffers).
   */
  private nextBuffer(): Buffer {
    return this.busy ? takeReadBuffer() : Buffer.allocUnsafe(QUIET)
  }

  /** False pauses reading until the file has drained, or until the next turn of the loop. */
  private deliver(chunk: Buffer, release: () => void): boolean {
    if (this.sink === null) {
      (this.early ??= []).push({ chunk, release })
      return true
    }
    if (!this.sink(chunk, release)) return false
    if (this.busy && this.plainFile?.spliceFrom(this) === true) {
      this.splicing = true
      return false
    }
    // libuv reads a readable pipe up to 32 times before it looks at other descriptors: 2 MiB of
    // a flooding program's output, a millisecond, ahead of every API request. Past the budget
    // the pipe waits for the next turn (bench P7).
    this.readThisTurn += chunk.length
    if (this.readThisTurn < TURN_BUDGET) return true
    setImmediate(() => {
      this.readThisTurn = 0
      this.resumeReading()
    })
    return false
  }

  private resumeReading(): void {
    if (!this.splicing && !this.socket.destroyed) this.socket.resume()
  }

  /** SpliceSource: the file asks between splices whether to go on. */
  wanted(): boolean {
    return !this.destroyAfterSplice
  }

  /** SpliceSource: the file stopped splicing; read the pipe again (or close it, if asked to meanwhile). */
  ended(): void {
    this.splicing = false
    this.readThisTurn = 0
    if (this.destroyAfterSplice) this.socket.destroy()
    else this.resumeReading()
  }
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
