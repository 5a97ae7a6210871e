// The buffers program output is read into, used again once their bytes are in the log file.
// Letting Node allocate one per read cost a flood of 1 GiB/s fifteen full garbage collections a
// second, each pausing the event loop for 7-11 ms: V8 collects when external memory grows
// fast (bench P7, docs/BENCHMARKS.md). Only busy pipes use them (see PipeReader).
export const READ_BUFFER_BYTES = 64 * 1024
/** At most 4 MiB kept for reuse; beyond that a returned buffer is left to the collector. */
const MAX_FREE = 64

const free: Buffer[] = []

export function takeReadBuffer(): Buffer {
  return free.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_BYTES)
}

export function giveReadBuffer(buffer: Buffer): void {
  if (free.length < MAX_FREE) free.push(buffer)
}
