// A busy pipe's bytes go into its log through splice(2), in the kernel. The real path: a FIFO,
// a real writer process, the daemon's PipeReader and LogFiles. The tests check that the splice
// path was taken (splicedBytes), and that order, rotation and followers stay exact with it.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { appendFileSync, closeSync, existsSync, readFileSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { openOutputPipe } from '../../src/core/output-pipe.js'
import type { LogFile, RotationPolicy } from '../../src/logs/log-file.js'
import { LogFiles } from '../../src/logs/log-files.js'
import { kernelSplicer } from '../../src/system/splice.js'
import { tempDir } from '../helpers/daemon.js'

const needsSplice = { skip: kernelSplicer() === undefined ? 'glibc cannot be loaded through koffi here' : false }

function numbers(last: number): string {
  return `${Array.from({ length: last }, (_, i) => i + 1).join('\n')}\n`
}

/** Run `seq 1 last` into the log through a FIFO; resolves once its pipe closed and the log is written. */
async function capture(dir: string, file: LogFile, last: number, duringFlood?: () => void): Promise<void> {
  const fifo = join(dir, `out-${Math.random().toString(36).slice(2)}.fifo`)
  execFileSync('mkfifo', [fifo])
  const { programEnd, reader } = openOutputPipe(fifo)
  const closed = new Promise<void>((resolve) => { reader.captureInto(file, undefined, resolve) })
  const child = spawn('seq', ['1', String(last)], { stdio: ['ignore', programEnd.fd, 'ignore'] })
  closeSync(programEnd.fd)
  if (duringFlood !== undefined) {
    const timer = setInterval(() => {
      if (file.writtenSize < 1024 * 1024) return
      clearInterval(timer)
      duringFlood()
    }, 1)
    child.once('exit', () => { clearInterval(timer) })
  }
  await closed
  await file.idle()
}

/** A log of its own in a temp dir, released when the test ends. */
function openLog(t: TestContext, name: string, policy: RotationPolicy = { maxBytes: 0, backups: 0 }): { dir: string; path: string; file: LogFile; files: LogFiles } {
  const dir = tempDir(t)
  const files = new LogFiles()
  const path = join(dir, name)
  const file = files.acquire(path, { policy })
  t.after(() => files.release(file))
  return { dir, path, file, files }
}

test('a flood is spliced into the log, every byte in order', needsSplice, async (t) => {
  const { dir, path, file } = openLog(t, 'flood.log')
  await capture(dir, file, 2_000_000)
  assert.ok(file.splicedBytes > 0, 'the splice path was taken')
  assert.equal(readFileSync(path, 'utf8'), numbers(2_000_000))
})

test('spliced bytes rotate at the exact size; the files hold every line once', needsSplice, async (t) => {
  const maxBytes = 1024 * 1024
  const { dir, path, file } = openLog(t, 'rotating.log', { maxBytes, backups: 30 })
  await capture(dir, file, 2_000_000)
  assert.ok(file.splicedBytes > 0, 'the splice path was taken')
  const parts: string[] = []
  for (let i = 30; i >= 1; i--) {
    if (!existsSync(`${path}.${i}`)) continue
    const part = readFileSync(`${path}.${i}`, 'utf8')
    assert.equal(Buffer.byteLength(part), maxBytes, `${path}.${i} is full to the byte`)
    parts.push(part)
  }
  parts.push(readFileSync(path, 'utf8'))
  assert.ok(parts.length > 10)
  assert.equal(parts.join(''), numbers(2_000_000))
})

test('a follower arriving mid-flood gets every byte after its position, once', needsSplice, async (t) => {
  const { dir, path, file, files } = openLog(t, 'followed.log')
  const received: Buffer[] = []
  let from = -1
  await capture(dir, file, 2_000_000, () => {
    from = file.writtenSize
    files.follow(path, (chunk) => { received.push(chunk) })
  })
  assert.ok(from > 0, 'the follower arrived during the flood')
  assert.ok(file.splicedBytes > 0, 'the splice path was taken before it')
  assert.equal(Buffer.concat(received).toString('utf8'), readFileSync(path).subarray(from).toString('utf8'))
  assert.equal(readFileSync(path, 'utf8'), numbers(2_000_000))
})

const outsideChanges: [string, (path: string) => void, string][] = [
  ['another process appends to', (path) => { appendFileSync(path, 'theirs\n') }, 'ours\ntheirs\n'],
  ['truncated from outside (copytruncate)', (path) => { truncateSync(path, 0) }, ''],
]
for (const [what, change, before] of outsideChanges) {
  test(`a log ${what} is not spliced: no byte overwritten, no hole`, needsSplice, async (t) => {
    const { dir, path, file } = openLog(t, 'shared.log')
    file.write(Buffer.from('ours\n'))
    await file.idle()
    change(path)
    await capture(dir, file, 2_000_000)
    assert.equal(file.splicedBytes, 0, 'the flood went through O_APPEND writes')
    assert.equal(readFileSync(path, 'utf8'), `${before}${numbers(2_000_000)}`)
  })
}
