// The physical limit: Node spawning and killing the same processes itself, no manager at all.
import { spawn, type ChildProcess } from 'node:child_process'
import type { BenchProgram } from './manager.js'

export async function rawStartAll(programs: readonly BenchProgram[]): Promise<ChildProcess[]> {
  return Promise.all(programs.map((p) => new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(p.argv[0] ?? 'true', p.argv.slice(1), { stdio: 'ignore', detached: true })
    child.once('spawn', () => { resolve(child) })
    child.once('error', reject)
  })))
}

export async function rawStopAll(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve()
      return
    }
    child.once('exit', () => { resolve() })
    child.kill('SIGTERM')
  })))
}

/** Kill a process and spawn it again at once: the time until the new pid exists. */
export async function rawRespawnMs(argv: readonly string[]): Promise<number> {
  const [first] = await rawStartAll([{ name: 'r', argv }])
  if (first === undefined) throw new Error('spawn failed')
  const began = performance.now()
  const exited = new Promise<void>((resolve) => first.once('exit', () => { resolve() }))
  first.kill('SIGKILL')
  await exited
  const [second] = await rawStartAll([{ name: 'r', argv }])
  const took = performance.now() - began
  second?.kill('SIGKILL')
  return took
}
