// The bearer token never shows up in the daemon's output (even at trace level), in its data dir,
// or in the environment of the programs it runs.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { FIXTURES, startDaemon, tempDir, type StartOptions } from '../helpers/daemon.js'
import { waitFor } from '../helpers/wait.js'

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    // The daemon may be replacing a file meanwhile (an atomic write's temp file renamed away).
    const stats = statSync(path, { throwIfNoEntry: false })
    if (stats === undefined) return []
    // Regular files only: the output FIFOs under run/ would block a read for ever.
    return stats.isDirectory() ? filesUnder(path) : stats.isFile() ? [path] : []
  })
}

const HOW: [string, (token: string) => StartOptions][] = [
  ['--token', (token) => ({ args: ['--token', token] })],
  ['HOODY_DAEMON_TOKEN', (token) => ({ env: { HOODY_DAEMON_TOKEN: token } })],
]

describe('the token is never logged or passed on', () => {
  for (const [how, options] of HOW) {
    test(`given by ${how}, at log level trace`, async (t) => {
      const token = `tok-${randomBytes(16).toString('hex')}`
      const dataDir = tempDir(t)
      const given = options(token)
      const daemon = await startDaemon(t, { ...given, dataDir, args: [...(given.args ?? []), '--log-level', 'trace'] })
      const auth = { authorization: `Bearer ${token}` }
      const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => daemon.request(method, path, body, headers)

      assert.equal((await call('GET', '/programs')).status, 200)
      // Wrong tokens that contain the right one: logging either would leak it.
      for (const authorization of [`Bearer ${token}x`, `Bearer x${token}`, `Basic ${token}`, token, `Bearer  ${token} extra`]) {
        assert.equal((await call('GET', '/programs', undefined, { authorization })).status, 401, authorization)
      }
      assert.equal((await call('GET', `/programs?token=${token}`, undefined, {})).status, 401)
      assert.equal((await call('GET', '/no/such/route')).status, 404)
      assert.equal((await call('POST', '/programs/add', '{"name":', { ...auth, 'content-type': 'application/json' })).status, 400)
      // A failing start is logged (500 SPAWN_ERROR at warn).
      assert.equal((await call('POST', '/programs/add', { name: 'broken', command: '/nonexistent/binary', startretries: 0 })).status, 201)
      assert.equal((await call('POST', '/programs/broken/start')).status, 500)
      // A program and a quick-start print their environment: the token is not in it.
      assert.equal((await call('POST', '/programs/add', { name: 'env', command: join(FIXTURES, 'print-env.sh'), startsecs: 0 })).status, 201)
      assert.equal((await call('POST', '/programs/env/start')).status, 200)
      const logs = await waitFor(async () => {
        const reply = await call('GET', '/programs/env/logs')
        return reply.body.stdout.includes('PATH=') ? reply.body.stdout as string : undefined
      })
      assert.doesNotMatch(logs, /HOODY_DAEMON_TOKEN/)
      const quick = await call('POST', '/quick-start', { command: 'env' })
      assert.equal(quick.status, 201, JSON.stringify(quick.body))
      const quickLogs = await waitFor(async () => {
        const reply = await call('GET', `/quick-start/${quick.body.temporary_id}/logs`)
        return reply.body.stdout.includes('PATH=') ? reply.body.stdout as string : undefined
      })
      assert.doesNotMatch(quickLogs, /HOODY_DAEMON_TOKEN/)
      assert.ok(!quickLogs.includes(token))

      const files = filesUnder(dataDir)
      assert.equal(await daemon.stop(), 0)
      for (const file of files) {
        let text = ''
        try {
          text = readFileSync(file, 'utf8')
        } catch {
          continue // a quick-start's logs are gone after shutdown
        }
        assert.ok(!text.includes(token), `the token is in ${file}`)
      }
      const output = daemon.stdout() + daemon.stderr()
      assert.match(daemon.stderr(), /"level":10|"level":20|"level":30/, 'the daemon did log at trace level')
      assert.match(daemon.stderr(), /request failed/, 'the failed start was logged')
      assert.ok(!output.includes(token), `the token is in the daemon's output:\n${output}`)
    })
  }
})
