import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { describe, test } from 'node:test'
import { startDaemon, waitForStatus } from '../helpers/daemon.js'
import { procStatus } from '../helpers/proc.js'

describe('a follower that does not read', () => {
  test('memory stays bounded and the follower is told what it missed', async (t) => {
    const daemon = await startDaemon(t)
    // ~50 MB of output while one client follows but reads nothing.
    await daemon.add({ name: 'flood', command: `sh -c 'yes 0123456789012345678901234567890123456789 | head -c 50000000; sleep 1000'`, startsecs: 0, stdout_logfile_maxbytes: 0 })
    const url = new URL(`${daemon.base}/programs/flood/logs/stream?lines=0`)
    const socket = connect(Number(url.port), url.hostname)
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`)
    let received = ''
    socket.setEncoding('utf8')
    const onData = (chunk: string) => { received += chunk }
    socket.on('data', onData)
    await new Promise((resolve) => { setTimeout(resolve, 300) })
    assert.match(received, /event: ready/)
    socket.off('data', onData)
    socket.pause()

    await daemon.post('/programs/flood/start')
    const logs = `${daemon.dataDir}/logs/flood.stdout.log`
    const { statSync } = await import('node:fs')
    const { waitFor } = await import('../helpers/wait.js')
    let peakRss = 0
    await waitFor(() => {
      peakRss = Math.max(peakRss, Number(procStatus(daemon.child.pid!).VmRSS?.split(' ')[0]) * 1024)
      return statSync(logs).size >= 50_000_000
    }, { timeoutMs: 60_000, intervalMs: 50 })
    assert.ok(peakRss < 250 * 1024 * 1024, `daemon RSS peaked at ${Math.round(peakRss / 1048576)} MiB`)

    socket.on('data', onData)
    socket.resume()
    // New output after the client caught up carries the notice of what was skipped.
    await daemon.post('/programs/flood/stop')
    await daemon.post('/programs/flood/start')
    await waitFor(() => /event: dropped/.test(received), { timeoutMs: 30_000 })
    assert.match(received, /event: dropped\ndata: \{"bytes":\d+/)
    socket.destroy()
    await waitForStatus(daemon, 'flood', 'RUNNING')
  })
})
