// glibc through koffi, loaded once for every module that calls into it (spawning, FIFOs).
// Undefined where it cannot be loaded (not glibc, no prebuilt koffi): callers then keep their
// portable path.
import type * as Koffi from 'koffi'
import { createRequire } from 'node:module'

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
