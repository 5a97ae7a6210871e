// splice(2) through koffi: moves bytes from a program's output pipe into its log file inside the
// kernel, with no copy into JavaScript and no callback per 64 KiB read (bench P7: a flood passed
// through the event loop took the core that API requests needed). Linux refuses to splice into a
// file opened with O_APPEND, so the caller moves a descriptor of its own to the file's end first.
// Undefined where glibc cannot be loaded: capture then keeps reading the pipe.
import { libc } from './libc.js'

const FIONREAD = 0x541b
/** The call must not wait for an empty pipe: it fails with EAGAIN, and the pipe's reader reads again. */
const SPLICE_F_NONBLOCK = 2

const SEEK_END = 2

type Ioctl = (fd: number, request: number, count: number[]) => number
type Lseek = (fd: number, offset: number, whence: number) => number
type Splice = ((...args: unknown[]) => number) & { async: (...args: unknown[]) => void }

export interface Splicer {
  /** Bytes waiting in the pipe now (a synchronous ioctl): tells a dry pipe from a failed splice. */
  waiting(pipeFd: number): number
  /** Move the descriptor's offset to the file's end, where the next `move` writes; the end, or -1. */
  toEnd(fileFd: number): number
  /**
   * Move up to `length` bytes from the pipe into the file at its offset, which advances, on
   * libuv's pool; then call `done` with the bytes moved: 0 at the end of the pipe, -1 when the
   * call failed (EAGAIN for an empty pipe included). Plain integers and a bare callback: a busy
   * pipe makes one call per 64 KiB, and the event loop pays for each. An offset passed by pointer
   * added about 1 µs to the ~8.5 µs of the call itself; promise hops on the way back cost more.
   */
  move(pipeFd: number, fileFd: number, length: number, done: (moved: number) => void): void
}

let splicer: Splicer | null | undefined

export function kernelSplicer(): Splicer | undefined {
  if (splicer === undefined) splicer = load()
  return splicer ?? undefined
}

function load(): Splicer | null {
  const lib = libc()
  if (lib === undefined) return null
  try {
    const ioctl = lib.func('int ioctl(int fd, unsigned long request, _Out_ int *count)') as Ioctl
    const lseek = lib.func('int64_t lseek(int fd, int64_t offset, int whence)') as Lseek
    const splice = lib.func('long splice(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)') as Splice
    return {
      waiting(pipeFd) {
        const count = [0]
        return ioctl(pipeFd, FIONREAD, count) === 0 ? count[0] ?? 0 : -1
      },
      toEnd(fileFd) {
        return lseek(fileFd, 0, SEEK_END)
      },
      move(pipeFd, fileFd, length, done) {
        splice.async(pipeFd, null, fileFd, null, length, SPLICE_F_NONBLOCK, (failure: unknown, moved: number) => {
          done(failure === null || failure === undefined ? moved : -1)
        })
      },
    }
  } catch {
    return null
  }
}
