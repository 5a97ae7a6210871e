import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lineTimestamper } from '../../src/logs/capture.js'

const at = new Date('2026-11-28T10:00:00.000Z')
const stamp = () => lineTimestamper(() => at)
const T = '2026-11-28T10:00:00.000Z '

const cases: { chunks: string[]; expected: string }[] = [
  { chunks: ['a\nb\n'], expected: `${T}a\n${T}b\n` },
  { chunks: ['par', 'tial\n'], expected: `${T}partial\n` },
  { chunks: ['a\n', '', 'b'], expected: `${T}a\n${T}b` },
  { chunks: ['\n\n'], expected: `${T}\n${T}\n` },
  { chunks: ['x'.repeat(100_000), '\n'], expected: `${T}${'x'.repeat(100_000)}\n` },
]

for (const { chunks, expected } of cases) {
  test(`timestamps ${JSON.stringify(chunks).slice(0, 40)}`, () => {
    const transform = stamp()
    assert.equal(chunks.map((c) => transform(Buffer.from(c)).toString()).join(''), expected)
  })
}
