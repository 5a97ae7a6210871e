// What the CLI prints: tables for people (states coloured on a TTY), JSON for scripts.
import type { ProcessState } from '../schema/status.js'

const COLOURS: Record<ProcessState, string> = {
  RUNNING: '32', STARTING: '33', BACKOFF: '33', STOPPING: '33', STOPPED: '90', EXITED: '31', FATAL: '1;31', UNKNOWN: '35',
}

export function colourState(state: ProcessState, tty: boolean): string {
  return tty ? `\u001b[${COLOURS[state]}m${state}\u001b[0m` : state
}

/** 3725 → "1h 2m"; seconds under a minute stay exact. */
export function humanDuration(seconds: number): string {
  if (seconds <= 0) return '-'
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${s}s`
  return `${s}s`
}

// Width without colour escapes.
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')
const visible = (text: string) => text.replace(ESCAPE, '').length

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))))
  const line = (cells: string[]) => cells.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - visible(cell))).join('  ').trimEnd()
  return [line(headers), ...rows.map(line)].join('\n') + '\n'
}

export interface Printer {
  readonly json: boolean
  readonly tty: boolean
  out(text: string): void
  data(value: unknown, human: () => string): void
}

export function printer(json: boolean): Printer {
  const tty = process.stdout.isTTY && process.env.NO_COLOR === undefined
  return {
    json,
    tty,
    out: (text) => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`) },
    data(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : human())
    },
  }
}
