// How a `command` string becomes argv. Plain commands are split like a POSIX shell splits words
// and exec'd directly. Commands that need a shell feature run under /bin/sh: with `exec` when
// they are one simple command (so the PID is the program's own), without when they chain several.
import { ValidationError } from '../errors.js'

export interface ParsedCommand {
  /** What to execute: a program name/path, or /bin/sh. */
  readonly file: string
  readonly args: readonly string[]
  /** How the command is run: directly, `sh -c 'exec …'`, or `sh -c '…'`. */
  readonly mode: 'direct' | 'shell-exec' | 'shell'
}

const SHELL = '/bin/sh'
const EXPANSION = new Set(['$', '`', '*', '?', '[', '<', '>'])
const CONTROL = new Set(['|', '&', ';', '(', ')', '\n'])
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', '{', '}', '!', 'exec'])
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/

interface Scan {
  words: string[]
  needsShell: boolean
  compound: boolean
}

function scan(command: string): Scan {
  const words: string[] = []
  let word = ''
  let inWord = false
  let needsShell = false
  let compound = false
  let quote: "'" | '"' | null = null

  const endWord = () => {
    if (inWord) words.push(word)
    word = ''
    inWord = false
  }

  for (let i = 0; i < command.length; i++) {
    const ch = command.charAt(i)
    if (quote === "'") {
      if (ch === "'") quote = null
      else word += ch
      continue
    }
    if (quote === '"') {
      if (ch === '"') quote = null
      else if (ch === '\\' && i + 1 < command.length && '$`"\\\n'.includes(command.charAt(i + 1))) {
        i++
        if (command.charAt(i) !== '\n') word += command.charAt(i)
      } else {
        if (ch === '$' || ch === '`') needsShell = true
        word += ch
      }
      continue
    }
    if (ch === ' ' || ch === '\t') {
      endWord()
    } else if (ch === "'" || ch === '"') {
      quote = ch
      inWord = true
    } else if (ch === '\\') {
      i++
      if (i >= command.length) throw ValidationError.field('command', 'ends with a lone backslash')
      if (command.charAt(i) !== '\n') {
        word += command.charAt(i)
        inWord = true
      }
    } else {
      if (CONTROL.has(ch)) {
        // `2>&1` and `<&3` are redirections, not background operators.
        const prev = command.charAt(i - 1)
        if (ch === '&' && (prev === '>' || prev === '<')) needsShell = true
        else compound = true
      } else if (EXPANSION.has(ch) || (!inWord && (ch === '~' || ch === '#'))) {
        needsShell = true
      }
      word += ch
      inWord = true
    }
  }
  if (quote !== null) throw ValidationError.field('command', `has an unterminated ${quote === "'" ? 'single' : 'double'} quote`)
  endWord()
  return { words, needsShell, compound }
}

/** Split a command line into what to execute. Throws VALIDATION_ERROR on a malformed line. */
export function parseCommand(command: string): ParsedCommand {
  const { words, needsShell, compound } = scan(command)
  const first = words[0]
  if (first === undefined || first === '') throw ValidationError.field('command', 'is empty')
  if (compound || RESERVED.has(first) || ASSIGNMENT.test(first)) {
    return { file: SHELL, args: ['-c', command], mode: 'shell' }
  }
  if (needsShell) return { file: SHELL, args: ['-c', `exec ${command}`], mode: 'shell-exec' }
  return { file: first, args: words.slice(1), mode: 'direct' }
}

/** Replace every `{{PORT}}` placeholder. */
export function withPort(text: string, port: number): string {
  return text.replaceAll('{{PORT}}', String(port))
}
