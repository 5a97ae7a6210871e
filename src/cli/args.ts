// Turning flags into request bodies; a bad value is refused here, before any request is sent.
import { InvalidArgumentError } from 'commander'

export function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`)
    }
    return Number(value)
  }
}

export function seconds(name: string) {
  return (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number of seconds (0 or more)`)
    return n
  }
}

export function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}`)
    return value as T
  }
}

/** KEY=VALUE, repeatable: collected into an object. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`'${value}' is not KEY=VALUE`)
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) }
}

/** 3000-3005 → { start, end } */
export function portRange(value: string): { start: number; end: number } {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value)
  if (match === null) throw new InvalidArgumentError(`'${value}' is not a port range like 3000-3005`)
  return { start: Number(match[1]), end: Number(match[2]) }
}

/** 0,2,3 → [0, 2, 3] */
export function exitCodes(value: string): number[] {
  const codes = value.split(',').map((part) => part.trim())
  if (codes.some((code) => !/^\d{1,3}$/.test(code) || Number(code) > 255)) throw new InvalidArgumentError(`'${value}' is not a list of exit codes like 0,2`)
  return codes.map(Number)
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./{}-]+$/

/** argv words → one command line that splits back into the same words (POSIX quoting). */
export function joinCommand(words: readonly string[]): string {
  return words.map((word) => (SAFE_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)).join(' ')
}
