import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { nativeOnly, startDaemon, waitForStatus, type DaemonHandle } from '../helpers/daemon.js'
import { waitFor } from '../helpers/wait.js'

/** Read an SSE stream into events until `done(events)` or the deadline; then disconnect. */
async function readEvents(url: string, done: (events: { event: string; data: string }[]) => boolean, onReady?: () => Promise<void>, timeoutMs = 20_000) {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort() }, timeoutMs)
  const response = await fetch(url, { signal: controller.signal })
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/)
  const events: { event: string; data: string }[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  let readyHandled = false
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (block.startsWith(':')) continue
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message'
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
        events.push({ event, data })
      }
      if (!readyHandled && events.some((e) => e.event === 'ready')) {
        readyHandled = true
        await onReady?.()
      }
      if (done(events)) break
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
  return events
}

const SUPERVISORD_ROTATES = nativeOnly('supervisord rotates after whole writes of up to 32 KiB: a file passes maxbytes, the current one may be empty')

const lines = (text: string) => text.split('\n').filter((l) => l !== '')

function allRotated(daemon: DaemonHandle, base: string, backups: number): string {
  const parts: string[] = []
  for (let i = backups; i >= 1; i--) if (existsSync(`${base}.${i}`)) parts.push(readFileSync(`${base}.${i}`, 'utf8'))
  parts.push(readFileSync(base, 'utf8'))
  return parts.join('')
}

describe('log rotation', () => {
  test('writing well past the limit: the concatenated files hold every line exactly once', SUPERVISORD_ROTATES, async (t) => {
    const daemon = await startDaemon(t)
    // ~589 kB of numbered lines through a 64 kB limit with 20 backups: about 9 rotations.
    await daemon.add({
      name: 'rot', command: `sh -c 'seq 1 100000'`, startsecs: 0, autorestart: false,
      stdout_logfile_maxbytes: 65536, stdout_logfile_backups: 20,
    })
    await daemon.post('/programs/rot/start')
    await waitForStatus(daemon, 'rot', 'EXITED', 20_000)
    const base = join(daemon.dataDir, 'logs', 'rot.stdout.log')
    await waitFor(() => allRotated(daemon, base, 20).endsWith('100000\n'))
    const all = lines(allRotated(daemon, base, 20))
    assert.equal(all.length, 100000)
    all.forEach((line, i) => { if (line !== String(i + 1)) assert.fail(`line ${i + 1} is '${line}'`) })
    assert.ok(existsSync(`${base}.5`), 'several rotations happened')
    for (let i = 1; i <= 20; i++) if (existsSync(`${base}.${i}`)) assert.ok(statSync(`${base}.${i}`).size <= 65536)
    // The last-N read spans into the rotated files when the current one is short.
    const tail = (await daemon.get('/programs/rot/logs?lines=10000')).body.stdout
    assert.deepEqual(lines(tail), Array.from({ length: 10000 }, (_, i) => String(90001 + i)))
  })

  test('only the configured number of backups is kept; 0 means never rotate', SUPERVISORD_ROTATES, async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'few', command: `sh -c 'seq 1 50000'`, startsecs: 0, autorestart: false, stdout_logfile_maxbytes: 10000, stdout_logfile_backups: 2 })
    await daemon.add({ name: 'never', command: `sh -c 'seq 1 50000'`, startsecs: 0, autorestart: false, stdout_logfile_maxbytes: 0 })
    await daemon.post('/programs/few/start')
    await daemon.post('/programs/never/start')
    await waitForStatus(daemon, 'few', 'EXITED')
    await waitForStatus(daemon, 'never', 'EXITED')
    const logs = join(daemon.dataDir, 'logs')
    await waitFor(() => readFileSync(join(logs, 'few.stdout.log'), 'utf8').endsWith('50000\n'))
    assert.ok(existsSync(join(logs, 'few.stdout.log.2')))
    assert.equal(existsSync(join(logs, 'few.stdout.log.3')), false)
    await waitFor(() => readFileSync(join(logs, 'never.stdout.log'), 'utf8').endsWith('50000\n'))
    assert.equal(lines(readFileSync(join(logs, 'never.stdout.log'), 'utf8')).length, 50000)
    assert.equal(existsSync(join(logs, 'never.stdout.log.1')), false)
  })

  test('rotation settings are validated', async (t) => {
    const daemon = await startDaemon(t)
    for (const bad of [{ stdout_logfile_maxbytes: -1 }, { stderr_logfile_backups: 1.5 }, { stdout_logfile_backups: '3' }, { log_timestamps: 'yes' }]) {
      assert.equal((await daemon.post('/programs/add', { name: 'x', command: 'sleep 1', ...bad })).body.code, 'VALIDATION_ERROR', JSON.stringify(bad))
    }
  })
})

describe('live follow', () => {
  test('the backlog comes first, read across rotated files', SUPERVISORD_ROTATES, async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({
      name: 'chatty', command: `sh -c 'seq 1 2000; sleep 1000'`,
      startsecs: 0, stdout_logfile_maxbytes: 1000, stdout_logfile_backups: 50,
    })
    await daemon.post('/programs/chatty/start')
    const base = join(daemon.dataDir, 'logs', 'chatty.stdout.log')
    await waitFor(() => existsSync(`${base}.3`) && readFileSync(base, 'utf8').endsWith('2000\n'))
    const events = await readEvents(`${daemon.base}/programs/chatty/logs/stream?lines=500`, (e) => e.filter((x) => x.event === 'stdout').length >= 500)
    assert.equal(events[0]?.event, 'ready')
    assert.deepEqual(events.filter((e) => e.event === 'stdout').map((e) => e.data), Array.from({ length: 500 }, (_, i) => String(1501 + i)))
  })

  test('streams output written after connecting, across rotations, in order and exactly once', SUPERVISORD_ROTATES, async (t) => {
    const daemon = await startDaemon(t)
    const dir = (await import('../helpers/daemon.js')).tempDir(t)
    const gate = join(dir, 'go')
    await daemon.add({
      name: 'gated', startsecs: 0, stdout_logfile_maxbytes: 2048, stdout_logfile_backups: 100,
      command: `sh -c 'while [ ! -e ${gate} ]; do sleep 0.02; done; seq 1 3000; echo to-stderr >&2; sleep 1000'`,
    })
    await daemon.post('/programs/gated/start')
    const { writeFileSync } = await import('node:fs')
    const events = await readEvents(
      `${daemon.base}/programs/gated/logs/stream?lines=0`,
      (e) => e.some((x) => x.event === 'stderr') && e.filter((x) => x.event === 'stdout').length >= 3000,
      async () => { writeFileSync(gate, '') },
    )
    const out = events.filter((e) => e.event === 'stdout').map((e) => e.data)
    assert.deepEqual(out, Array.from({ length: 3000 }, (_, i) => String(i + 1)))
    assert.ok(existsSync(join(daemon.dataDir, 'logs', 'gated.stdout.log.5')), 'the stream crossed many rotations')
    assert.deepEqual(events.filter((e) => e.event === 'stderr').map((e) => e.data), ['to-stderr'])
  })

  test('?stream=stderr only, bad queries and unknown programs', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'both', command: `sh -c 'echo out; echo err >&2; sleep 1000'`, startsecs: 0 })
    await daemon.post('/programs/both/start')
    await waitFor(() => readFileSync(join(daemon.dataDir, 'logs', 'both.stderr.log'), 'utf8') === 'err\n')
    const events = await readEvents(`${daemon.base}/programs/both/logs/stream?stream=stderr&lines=5`, (e) => e.some((x) => x.event === 'stderr'))
    assert.deepEqual(events.filter((e) => e.event !== 'ready'), [{ event: 'stderr', data: 'err' }])
    assert.equal((await daemon.get('/programs/both/logs/stream?stream=all')).body.code, 'VALIDATION_ERROR')
    assert.equal((await daemon.get('/programs/nope/logs/stream')).body.code, 'PROGRAM_NOT_FOUND')
  })
})

describe('log timestamps', () => {
  test('log_timestamps prefixes every line with an ISO-8601 time; off by default', nativeOnly('log_timestamps is ignored: supervisord writes the bytes as they come'), async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'stamped', command: `sh -c 'printf "one\\ntw"; sleep 0.2; printf "o\\nthree\\n"'`, startsecs: 0, autorestart: false, log_timestamps: true })
    await daemon.add({ name: 'plain', command: `sh -c 'printf "one\\ntwo\\n"'`, startsecs: 0, autorestart: false })
    await daemon.post('/programs/stamped/start')
    await daemon.post('/programs/plain/start')
    await waitForStatus(daemon, 'stamped', 'EXITED')
    await waitForStatus(daemon, 'plain', 'EXITED')
    const logs = join(daemon.dataDir, 'logs')
    await waitFor(() => lines(readFileSync(join(logs, 'stamped.stdout.log'), 'utf8')).length === 3)
    const stamped = lines(readFileSync(join(logs, 'stamped.stdout.log'), 'utf8'))
    const iso = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (.*)$/
    assert.deepEqual(stamped.map((l) => iso.exec(l)?.[2]), ['one', 'two', 'three'], 'a line split across writes gets one stamp')
    assert.equal(readFileSync(join(logs, 'plain.stdout.log'), 'utf8'), 'one\ntwo\n')
  })
})
