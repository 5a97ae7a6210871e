import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { newProgram } from '../../src/core/program-config.js'
import { ConfigFileError } from '../../src/store/config-file-error.js'
import { ProgramsStore } from '../../src/store/programs-store.js'
import { tempDir } from '../helpers/daemon.js'

const program = (name: string) => newProgram({ name, command: 'sleep 1' }, new Date('2026-01-01T00:00:00Z'))

test('a missing file is a first start', async (t) => {
  assert.equal(await new ProgramsStore(join(tempDir(t), 'programs.json')).load(), null)
})

test('save then load round-trips, with mode 0600 and no temp file left', async (t) => {
  const dir = tempDir(t)
  const store = new ProgramsStore(join(dir, 'programs.json'))
  await store.save(() => [program('a'), program('b')])
  const loaded = await new ProgramsStore(join(dir, 'programs.json')).load()
  assert.deepEqual(loaded?.map((p) => p.id), ['a', 'b'])
  assert.equal(statSync(join(dir, 'programs.json')).mode & 0o777, 0o600)
  assert.deepEqual(readdirSync(dir), ['programs.json'])
})

test('a burst of saves ends with the latest state on disk', async (t) => {
  const path = join(tempDir(t), 'programs.json')
  const store = new ProgramsStore(path)
  let calls = 0
  const saves = Array.from({ length: 50 }, (_, i) => store.save(() => {
    calls++
    return Array.from({ length: i + 1 }, (_, j) => program(`p${j}`))
  }))
  await Promise.all(saves)
  assert.ok(calls < 50, `the list was built for the writes that happened (${calls}), not for each of the 50 saves`)
  const onDisk = JSON.parse(readFileSync(path, 'utf8')) as unknown[]
  assert.equal(onDisk.length, 50)
})

const corrupt: [string, string, RegExp][] = [
  ['not JSON', '[{"id":', /is not valid JSON/],
  ['wrong shape', '{"a":1}', /expected a JSON array/],
  ['invalid program', '[{"id":"x"}]', /program #0 is invalid/],
]
for (const [name, content, message] of corrupt) {
  test(`a corrupt file (${name}) is an error naming it, and is left untouched`, async (t) => {
    const path = join(tempDir(t), 'programs.json')
    writeFileSync(path, content)
    await assert.rejects(new ProgramsStore(path).load(), (error: unknown) => {
      assert.ok(error instanceof ConfigFileError)
      assert.ok(error.message.includes(path))
      assert.match(error.message, message)
      return true
    })
    assert.equal(readFileSync(path, 'utf8'), content)
  })
}

test('stale temp files from a crash are removed at load', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'programs.json.tmp-123-abcd'), 'half')
  await new ProgramsStore(join(dir, 'programs.json')).load()
  assert.deepEqual(readdirSync(dir), [])
})
