import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { JsonFile } from '../../src/store/json-file.js'
import { tempDir } from '../helpers/daemon.js'

const element = (i: number) => ({ id: `p${i}`, command: 'sleep "1" → café', environment: { A: 'x\ny' }, ports: [i, i + 1], nested: { empty: {}, list: [] } })

for (const compact of [false, true]) {
  test(`a list written element by element is the file JSON.stringify would write (${compact ? 'compact' : 'indented'})`, async (t) => {
    const path = join(tempDir(t), 'list.json')
    const file = new JsonFile(path, { compact })
    const expected = (list: unknown[]) => `${JSON.stringify(list, null, compact ? 0 : 2)}\n`
    let list: object[] = []
    await file.writeLatestList(() => list)
    assert.equal(readFileSync(path, 'utf8'), expected(list), 'an empty list')
    list = Array.from({ length: 1500 }, (_, i) => element(i))
    await file.writeLatestList(() => list)
    assert.equal(readFileSync(path, 'utf8'), expected(list), 'more elements than one writev takes (IOV_MAX 1024)')
    // A changed element is a new object: its new bytes are written, the others' kept bytes reused.
    list = [list[0] as object, { ...element(1), command: 'changed' }, ...list.slice(2)]
    await file.writeLatestList(() => list)
    assert.equal(readFileSync(path, 'utf8'), expected(list))
    assert.match(readFileSync(path, 'utf8'), /changed/)
    assert.deepEqual(await file.read(), JSON.parse(expected(list)))
  })
}
