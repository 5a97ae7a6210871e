import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, test } from 'node:test'
import { cleanup } from '../helpers/cleanup.js'
import { exitOf, startDaemon } from '../helpers/daemon.js'
import { HOODY, hoody } from '../helpers/cli.js'
import { isAlive } from '../helpers/proc.js'
import { waitFor } from '../helpers/wait.js'




describe('hoody CLI against a real daemon', () => {
  test('create, start, status, logs, stop, delete — tables and --json', async (t) => {
    const daemon = await startDaemon(t, { token: 'cli-token' })
    const env = { HOODY_DAEMON_URL: daemon.url, HOODY_DAEMON_TOKEN: 'cli-token' }
    const created = await hoody(['daemon', 'programs', 'create', 'Echo Server', '--startsecs', '0', '-e', 'GREETING=hi there', '--', 'sh', '-c', 'echo "$GREETING"; exec sleep 1000'], env)
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.stdout, /Program added successfully: echo-server/)
    const program = JSON.parse((await hoody(['daemon', '--json', 'programs', 'get', 'echo-server'], env)).stdout)
    assert.equal(program.command, `sh -c 'echo "$GREETING"; exec sleep 1000'`)
    assert.deepEqual(program.environment, { GREETING: 'hi there' })

    const started = await hoody(['daemon', 'programs', 'start', 'echo-server'], env)
    assert.equal(started.code, 0, started.stderr)
    assert.match(started.stdout, /Program started: RUNNING \(pid \d+\)/)
    const status = await hoody(['daemon', 'programs', 'status'], env)
    assert.match(status.stdout, /^ID\s+NAME\s+STATUS\s+PID\s+UPTIME\s+EXIT/m)
    assert.match(status.stdout, /echo-server\s+Echo Server\s+RUNNING\s+\d+/)
    const json = JSON.parse((await hoody(['daemon', 'programs', 'status', 'echo-server', '--json'], env)).stdout)
    assert.equal(json.status, 'RUNNING')
    assert.ok(isAlive(json.pid))

    await waitFor(async () => (await hoody(['daemon', 'programs', 'logs', 'echo-server', '-n', '5'], env)).stdout === 'hi there\n')
    const stopped = await hoody(['daemon', 'programs', 'stop', 'echo-server'], env)
    assert.equal(stopped.code, 0)
    assert.equal(isAlive(json.pid), false)
    const deleted = await hoody(['daemon', 'programs', 'delete', 'echo-server'], env)
    assert.match(deleted.stdout, /Program removed permanently/)
    assert.deepEqual(JSON.parse((await hoody(['daemon', 'programs', 'list', '--json'], env)).stdout), [])
    const health = await hoody(['daemon', 'health'], { HOODY_DAEMON_URL: daemon.url })
    assert.equal(health.code, 0)
    assert.match(health.stdout, /^healthy/)
  })

  test('API errors: message and code on stderr, exit code 1', async (t) => {
    const daemon = await startDaemon(t)
    const env = { HOODY_DAEMON_URL: daemon.url }
    const missing = await hoody(['daemon', 'programs', 'start', 'ghost'], env)
    assert.equal(missing.code, 1)
    assert.equal(missing.stdout, '')
    assert.match(missing.stderr, /program 'ghost' does not exist \(PROGRAM_NOT_FOUND\)/)
    const invalid = await hoody(['daemon', 'programs', 'create', 'x', '--command', "echo 'open"], env)
    assert.equal(invalid.code, 1)
    assert.match(invalid.stderr, /VALIDATION_ERROR/)
    const unauthorized = await hoody(['daemon', '--url', daemon.url, '--token', 'nope', 'programs', 'list'], {})
    assert.equal(unauthorized.code, 0, 'no token configured on this daemon: any token is fine')
  })

  test('bad flags are refused with usage and exit code 2, before any request', async () => {
    // A URL nothing listens on: a request would be exit code 1, not 2.
    const env = { HOODY_DAEMON_URL: 'http://127.0.0.1:9' }
    for (const args of [
      ['daemon', 'programs', 'start', 'x', '--port', 'abc'],
      ['daemon', 'programs', 'create', 'x', '--autorestart', 'sometimes', '--', 'true'],
      ['daemon', 'programs', 'create', 'x', '--port-range', '3000'],
      ['daemon', 'programs', 'frobnicate'],
      ['daemon', 'programs', 'create'],
      ['daemon', '--bogus', 'health'],
      ['completion', 'fish'],
      ['daemon', 'programs', 'create', 'x', '--command', 'true', '--', 'echo', 'hi'],
      ['daemon', 'programs', 'create', 'x'],
      ['daemon', 'programs', 'logs', 'x', '-n', '0'],
      ['daemon', 'quick-start', 'run'],
    ]) {
      const run = await hoody(args, env)
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
      assert.match(run.stderr, /error/, `${args.join(' ')}: a usage error says what is wrong`)
      assert.ok(!run.stderr.includes('cannot reach'), args.join(' '))
    }
  })

  test('an unreachable daemon is one clear line', async () => {
    const run = await hoody(['daemon', 'programs', 'list'], { HOODY_DAEMON_URL: 'http://127.0.0.1:9' })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /^hoody: cannot reach hoody-daemon at http:\/\/127\.0\.0\.1:9: .+\n$/)
    assert.ok(!run.stderr.includes('    at '))
  })

  test('logs -f follows live', async (t) => {
    const daemon = await startDaemon(t)
    await daemon.add({ name: 'ticker', command: `sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'`, startsecs: 0 })
    await daemon.post('/programs/ticker/start')
    const child = spawn(process.execPath, [HOODY, 'daemon', 'programs', 'logs', 'ticker', '-f', '-n', '1'], { env: { ...process.env, HOODY_DAEMON_URL: daemon.url }, stdio: ['ignore', 'pipe', 'pipe'] })
    cleanup(t, async () => { child.kill(); await exitOf(child) })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    await waitFor(() => out.split('\n').filter((l) => l.startsWith('tick ')).length >= 5, { timeoutMs: 10_000 })
    const numbers = out.split('\n').filter((l) => l.startsWith('tick ')).map((l) => Number(l.slice(5)))
    numbers.slice(1).forEach((n, i) => { assert.equal(n, (numbers[i] ?? 0) + 1, 'consecutive lines') })
  })

  test('quick-start run --wait prints the output and exits with its status', async (t) => {
    const daemon = await startDaemon(t)
    const run = await hoody(['daemon', 'quick-start', 'run', '--wait', '--', 'sh', '-c', 'echo from-job; exit 3'], { HOODY_DAEMON_URL: daemon.url })
    assert.equal(run.code, 3)
    assert.equal(run.stdout, 'from-job\n')
    const listed = JSON.parse((await hoody(['daemon', '--json', 'quick-start', 'list'], { HOODY_DAEMON_URL: daemon.url })).stdout)
    assert.equal(listed.length, 1)
    const stop = await hoody(['daemon', 'quick-start', 'stop', listed[0].temporary_id], { HOODY_DAEMON_URL: daemon.url })
    assert.equal(stop.code, 0)
  })

  test('help everywhere, completion scripts', async () => {
    for (const args of [['--help'], ['daemon', '--help'], ['daemon', 'programs', '--help'], ['daemon', 'programs', 'create', '--help'], ['daemon', 'quick-start', 'run', '--help']]) {
      const run = await hoody(args)
      assert.equal(run.code, 0, args.join(' '))
      assert.match(run.stdout, /Usage: hoody/)
    }
    assert.match((await hoody(['daemon', 'programs', 'create', '--help'])).stdout, /Examples:/)
    const bash = await hoody(['completion', 'bash'])
    assert.match(bash.stdout, /complete -F _hoody hoody/)
    assert.match(bash.stdout, /programs\) opts="create list get edit delete reset enable disable start restart stop status logs"/)
    const version = await hoody(['--version'])
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
    const zsh = await hoody(['completion', 'zsh'])
    assert.match(zsh.stdout, /^#compdef hoody/)
  })

  test('hoody daemon serve runs the daemon', async (t) => {
    const { tempDir } = await import('../helpers/daemon.js')
    const child = spawn(process.execPath, [HOODY, 'daemon', 'serve', '--port', '0', '--data-dir', tempDir(t)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOODY_DAEMON_LOG_LEVEL: 'warn' } })
    cleanup(t, async () => { child.kill('SIGTERM'); await exitOf(child) })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    const url = await waitFor(() => /listening on (\S+)/.exec(out)?.[1])
    const health = await hoody(['daemon', 'health', '--json'], { HOODY_DAEMON_URL: url })
    assert.equal(JSON.parse(health.stdout).status, 'healthy')
    child.kill('SIGTERM')
    assert.equal(await exitOf(child), 0)
  })
})
