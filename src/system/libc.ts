// glibc through koffi, loaded once for every module that calls into it (spawning, FIFOs).
// Undefined where it cannot be loaded (not glibc, no prebuilt koffi): callers then keep their
// portable path.
import type * as Koffi from 'koffi'
import { createRequire } from 'node:module'
import { constants } from 'node:os'

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, number]) => [number, name]))

/** ENOENT for 2: what a libc call's errno or error result is called. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`
}

export interface Libc {
  readonly koffi: typeof Koffi
  /** Bind one function from its C prototype. */
  func(signature: string): (...args: unknown[]) => number
}

let loaded: Libc | null | undefined

export function libc(): Libc | undefined {
  if (loaded === undefined) {
    try {
      const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi
      const library = koffi.load('libc.so.6')
      loaded = { koffi, func: (signature) => library.func(signature) as (...args: unknown[]) => number }
    } catch {
      loaded = null
    }
  }
  return loaded ?? undefined
}
