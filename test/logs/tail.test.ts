import assert from 'node:assert/strict'
import { closeSync, openSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { tailFile } from '../../src/logs/tail.js'
import { tempDir } from '../helpers/daemon.js'

const cases: { content: string; n: number; expected: string }[] = [
  { content: '', n: 5, expected: '' },
  { content: 'a\nb\nc\n', n: 2, expected: 'b\nc\n' },
  { content: 'a\nb\nc\n', n: 3, expected: 'a\nb\nc\n' },
  { content: 'a\nb\nc\n', n: 10, expected: 'a\nb\nc\n' },
  { content: 'a\nb\nc', n: 1, expected: 'c' },
  { content: 'a\nb\nc', n: 2, expected: 'b\nc' },
  { content: '\n\n\n', n: 2, expected: '\n\n' },
  { content: 'only', n: 1, expected: 'only' },
  { content: 'x\nünïcödé\n', n: 1, expected: 'ünïcödé\n' },
]

for (const { content, n, expected } of cases) {
  test(`last ${n} of ${JSON.stringify(content)}`, async (t) => {
    const path = join(tempDir(t), 'f.log')
    writeFileSync(path, content)
    assert.equal(await tailFile(path, n), expected)
  })
}

test('a missing file is empty', async (t) => {
  assert.equal(await tailFile(join(tempDir(t), 'none.log'), 10), '')
})

test('lines across many 64 KiB blocks', async (t) => {
  const path = join(tempDir(t), 'big.log')
  const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 37)}`)
  writeFileSync(path, `${lines.join('\n')}\n`)
  assert.equal(await tailFile(path, 1000), `${lines.slice(-1000).join('\n')}\n`)
})

test('reads only the end of a 1 GiB file', async (t) => {
  const path = join(tempDir(t), 'huge.log')
  // A sparse GiB of NUL bytes then real lines: reading it all would take seconds and a GiB of memory.
  const fd = openSync(path, 'w')
  ftruncateSync(fd, 1024 ** 3)
  writeSync(fd, '\nfirst\nsecond\nthird\n', 1024 ** 3)
  closeSync(fd)
  const before = process.memoryUsage().rss
  assert.equal(await tailFile(path, 3), 'first\nsecond\nthird\n')
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024)
})
