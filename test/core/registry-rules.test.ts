import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newProgram } from '../../src/core/program-config.js'
import { checkFitsRegistry } from '../../src/core/registry-rules.js'
import { ProgramAlreadyExistsError, ValidationError } from '../../src/errors.js'
import type { Program, ProgramAddBody } from '../../src/schema/program.js'

const now = new Date('2026-01-01T00:00:00Z')
const program = (body: Partial<ProgramAddBody> & { name: string }): Program => newProgram({ command: 'sleep 1000', ...body }, now)
const registry = (...programs: Program[]) => new Map(programs.map((p) => [p.id, p]))
const reserved = { dataDir: '/var/lib/hoody', logDir: '/var/lib/hoody/logs' }

test('ids and names are unique, names case-insensitively; an edit may keep its own', () => {
  const web = program({ name: 'Web' })
  const taken = registry(web)
  assert.throws(() => { checkFitsRegistry(program({ name: 'Other', id: 'web' }), taken, reserved) }, ProgramAlreadyExistsError)
  assert.throws(() => { checkFitsRegistry(program({ name: 'WEB', id: 'web2' }), taken, reserved) }, ProgramAlreadyExistsError)
  checkFitsRegistry({ ...web, command: 'sleep 2' }, taken, reserved, 'web')
  checkFitsRegistry(program({ name: 'Api' }), taken, reserved)
})

test('the quick-start prefix is refused as an id', () => {
  assert.throws(() => { checkFitsRegistry(program({ name: 'x', id: 'eph-0123456789ab' }), registry(), reserved) }, ValidationError)
})

test('no program takes the default log names of a port-range instance, in either order', () => {
  const ranged = program({ name: 'web', command: 'serve {{PORT}}', port_range: { start: 8000, end: 8002 } })
  const single = program({ name: 'web-8001' })
  assert.throws(() => { checkFitsRegistry(single, registry(ranged), reserved) }, /same default log files/)
  assert.throws(() => { checkFitsRegistry(ranged, registry(single), reserved) }, /same default log files/)
  // Outside the range, or not a port: no clash.
  checkFitsRegistry(program({ name: 'web-8003' }), registry(ranged), reserved)
  checkFitsRegistry(program({ name: 'web-admin' }), registry(ranged), reserved)
})

test('log paths stay out of the data dir, except its logs folder', () => {
  assert.throws(() => { checkFitsRegistry(program({ name: 'a', stdout_logfile: '/var/lib/hoody/programs.json' }), registry(), reserved) }, /stdout_logfile/)
  assert.throws(() => { checkFitsRegistry(program({ name: 'b', stderr_logfile: '/var/lib/hoody/../hoody/x.log' }), registry(), reserved) }, /stderr_logfile/)
  checkFitsRegistry(program({ name: 'c', stdout_logfile: '/var/lib/hoody/logs/c.log' }), registry(), reserved)
  checkFitsRegistry(program({ name: 'd', stdout_logfile: '/var/lib/hoody-other/d.log' }), registry(), reserved)
  checkFitsRegistry(program({ name: 'e', stdout_logfile: '/var/lib/hoody/programs.json' }), registry(), undefined)
})
