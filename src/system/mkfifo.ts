// mkfifo(3) from glibc: one syscall, where Node alone would need a `mkfifo` process per FIFO
// (a fork and an exec: half a millisecond of the daemon's thread, and a child to reap).
import { errnoName, libc } from './libc.js'

export type MakeFifo = (path: string, mode: number) => void

let bound: MakeFifo | null | undefined

/** A synchronous mkfifo that throws an Error with `code` (EEXIST, ENOENT, …); undefined without glibc. */
export function nativeMkfifo(): MakeFifo | undefined {
  if (bound === undefined) bound = bind() ?? null
  return bound ?? undefined
}

function bind(): MakeFifo | undefined {
  const lib = libc()
  if (lib === undefined) return undefined
  try {
    const mkfifo = lib.func('int mkfifo(const char *path, uint32_t mode)')
    return (path, mode) => {
      if (mkfifo(path, mode) === 0) return
      const code = errnoName(lib.koffi.errno())
      throw Object.assign(new Error(`mkfifo '${path}': ${code}`), { code })
    }
  } catch {
    return undefined
  }
}
