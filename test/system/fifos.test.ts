// Where output FIFOs are made: by mkfifo(3) when glibc is there, by the `mkfifo` tool in batches
// otherwise, and in a private folder on tmpfs when one can be had safely.
import assert from 'node:assert/strict'
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { FifoPool } from '../../src/system/fifo-pool.js'
import { nativeMkfifo } from '../../src/system/mkfifo.js'
import { removeEmptyRuntimeDirs, runtimeDirsOf, tmpfsRuntimeDir } from '../../src/system/runtime-dir.js'

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'fifos-'))
  t.after(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

function assertFifo(path: string): void {
  const stats = lstatSync(path)
  assert.ok(stats.isFIFO(), `${path} is a FIFO`)
  assert.equal(stats.mode & 0o777, 0o600)
}

describe('FifoPool', () => {
  test('with mkfifo(3): a FIFO at the name asked for, replacing a stale one; no spares', { skip: nativeMkfifo() === undefined ? 'no glibc here' : false }, (t) => {
    const dir = join(scratch(t), 'pipes')
    const pool = new FifoPool(dir)
    writeFileSync(join(dir, 'a.out'), 'stale regular file')
    const path = pool.take('a.out')
    assert.equal(path, join(dir, 'a.out'))
    assertFifo(path)
    assertFifo(pool.take('b.err'))
    assert.deepEqual(readdirSync(dir).sort(), ['a.out', 'b.err'])
    assert.throws(() => new FifoPool(join(dir, 'a.out')), /EEXIST|ENOTDIR/)
  })

  test('without it: FIFOs made by the mkfifo tool ahead of need, renamed when taken', (t) => {
    const dir = join(scratch(t), 'pipes')
    const pool = new FifoPool(dir, 'mkfifo-tool')
    assertFifo(pool.take('a.out'))
    assert.ok(readdirSync(dir).some((name) => name.startsWith('.spare-')), 'spares wait for the next take')
    assert.deepEqual(pool.paths(), [join(dir, 'a.out')])
    // A later pool with mkfifo(3) drops the spares the tool made.
    if (nativeMkfifo() !== undefined) {
      new FifoPool(dir)
      assert.deepEqual(readdirSync(dir), ['a.out'])
    }
  })

  test('paths() lists FIFOs of the folders an earlier run used too', (t) => {
    const base = scratch(t)
    const former = join(base, 'former')
    mkdirSync(former)
    writeFileSync(join(former, 'old.out'), '')
    const pool = new FifoPool(join(base, 'now'))
    pool.take('new.out')
    assert.deepEqual(pool.paths([former, join(base, 'missing')]).sort(), [join(former, 'old.out'), join(base, 'now', 'new.out')])
  })
})

describe('tmpfs runtime folder', () => {
  const tmpfs = ['/dev/shm', '/run', process.env.XDG_RUNTIME_DIR ?? ''].some((dir) => {
    try {
      return statfsSync(dir).type === 0x01021994
    } catch {
      return false
    }
  })

  test('a private folder per data dir, on tmpfs, removed once empty', { skip: tmpfs ? false : 'no tmpfs here' }, (t) => {
    const dataDir = scratch(t)
    t.after(() => { for (const dir of runtimeDirsOf(dataDir)) rmSync(dir, { recursive: true, force: true }) })
    const dir = tmpfsRuntimeDir(dataDir)
    assert.ok(dir !== undefined)
    assert.equal(statfsSync(dir).type, 0x01021994)
    assert.equal(lstatSync(dir).mode & 0o777, 0o700)
    assert.equal(tmpfsRuntimeDir(dataDir), dir, 'the same folder next time')
    const otherDataDir = scratch(t)
    t.after(() => { for (const other of runtimeDirsOf(otherDataDir)) rmSync(other, { recursive: true, force: true }) })
    assert.notEqual(tmpfsRuntimeDir(otherDataDir), dir, 'another data dir, another folder')
    mkdirSync(join(dir, 'programs'))
    writeFileSync(join(dir, 'programs', 'live.out'), '')
    removeEmptyRuntimeDirs(dataDir, ['programs'])
    assert.ok(lstatSync(join(dir, 'programs', 'live.out')).isFile(), 'a FIFO still in use stays')
    rmSync(join(dir, 'programs', 'live.out'))
    removeEmptyRuntimeDirs(dataDir, ['programs'])
    assert.throws(() => lstatSync(dir), /ENOENT/)
  })

  test('a folder of that name that is not ours, or open to others, or a link, is not used', { skip: tmpfs ? false : 'no tmpfs here' }, (t) => {
    const dataDir = scratch(t)
    const candidates = runtimeDirsOf(dataDir)
    t.after(() => { for (const dir of candidates) rmSync(dir, { recursive: true, force: true }) })
    // Every candidate is spoiled in one way: the daemon must fall back to its data dir.
    const target = scratch(t)
    candidates.forEach((dir, index) => {
      try {
        if (index % 2 === 0) symlinkSync(target, dir)
        else {
          mkdirSync(dir)
          chmodSync(dir, 0o777)
        }
      } catch {
        // a base folder that does not exist here
      }
    })
    assert.equal(tmpfsRuntimeDir(dataDir), undefined)
  })
})
