// The defaults file as complete programs: every entry checked like an add (id, command, port
// range, user, unique id and name), and marked hoody_kit. Nothing is applied if one entry fails.
import { EngineError } from '../errors.js'
import type { Program, ProgramAddBody } from '../schema/program.js'
import type { DefaultsSource } from './contracts.js'
import { newProgram } from './program-config.js'

export async function loadDefaultPrograms(source: DefaultsSource, options: { now: Date; checkUser: (user: string) => Promise<void> }): Promise<Program[]> {
  let bodies: ProgramAddBody[]
  try {
    bodies = await source.load()
  } catch (error) {
    throw new EngineError(`defaults file unusable: ${(error as Error).message}`, error)
  }
  const programs: Program[] = []
  const ids = new Set<string>()
  const names = new Set<string>()
  for (const [index, body] of bodies.entries()) {
    const where = `${source.path} entry [${index}]`
    let program: Program
    try {
      program = { ...newProgram(body, options.now), hoody_kit: true }
      await options.checkUser(program.user)
    } catch (error) {
      throw new EngineError(`${where}: ${(error as Error).message}`, error)
    }
    if (ids.has(program.id) || names.has(program.name.toLowerCase())) throw new EngineError(`${where}: duplicate id or name '${program.id}'`)
    ids.add(program.id)
    names.add(program.name.toLowerCase())
    programs.push(program)
  }
  return programs
}
