// Run the built `hoody` CLI as users do, and collect what it prints.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { exitOf, ROOT } from './daemon.js'

export const HOODY = join(ROOT, 'dist', 'cli', 'hoody.js')

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

export function hoody(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [HOODY, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  return exitOf(child).then((code) => ({ code, stdout, stderr }))
}
