import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { expectTypeOf } from 'expect-type'
import {
  HoodyApiError, HoodyDaemonClient, isHoodyApiError, type HoodyErrorCode, type LogEvent, type Program, type ProgramStatus,
} from '../../src/client/index.js'
import { startDaemon } from '../helpers/daemon.js'
import { isAlive } from '../helpers/proc.js'

describe('SDK against a real daemon', () => {
  test('programs, control, status, logs and errors', async (t) => {
    const daemon = await startDaemon(t, { token: 'tok' })
    const client = new HoodyDaemonClient({ baseUrl: daemon.url, token: 'tok', timeoutMs: 5000 })
    const added = await client.daemon.programs.add({ name: 'Web', command: `sh -c 'echo hello; exec sleep 1000'`, startsecs: 0 })
    assert.equal(added.program.id, 'web')
    assert.deepEqual((await client.daemon.programs.list()).map((p) => p.id), ['web'])
    assert.equal((await client.daemon.programs.get('web')).name, 'Web')
    assert.equal((await client.daemon.programs.edit('web', { description: 'd' })).program.description, 'd')

    const started = await client.daemon.control.start('web')
    assert.equal(started.status, 'RUNNING')
    assert.ok(started.pid !== null && isAlive(started.pid))
    assert.equal((await client.daemon.status.get('web')).pid, started.pid)
    assert.equal((await client.daemon.status.list()).length, 1)

    const events: LogEvent[] = []
    for await (const event of client.daemon.logs.follow('web', { lines: 5 })) {
      events.push(event)
      if (event.type === 'line') break
    }
    assert.deepEqual(events.map((e) => e.type), ['ready', 'line'])
    assert.deepEqual(events[1], { type: 'line', stream: 'stdout', line: 'hello' })
    assert.equal((await client.daemon.logs.get('web', { lines: 1 })).stdout, 'hello\n')

    await assert.rejects(client.daemon.programs.edit('web', { description: 'x' }), (error: unknown) => {
      assert.ok(isHoodyApiError(error))
      assert.equal(error.code, 'PROGRAM_RUNNING')
      assert.equal(error.status, 409)
      return true
    })
    const stopped = await client.daemon.control.stop('web')
    assert.equal(stopped.message, 'Program stopped')
    assert.equal(isAlive(started.pid), false)
    assert.equal((await client.daemon.control.disable('web')).was_running, false)
    await assert.rejects(client.daemon.control.start('web'), { code: 'PROGRAM_DISABLED', status: 409 })
    await client.daemon.control.enable('web')
    const restarted = await client.daemon.control.restart('web', { wait: false })
    assert.ok(['STARTING', 'RUNNING'].includes(restarted.status), restarted.status)
    await assert.rejects(client.daemon.programs.add({ name: 'bad', command: 'x', priority: -1 }), (error: unknown) => {
      assert.ok(error instanceof HoodyApiError)
      assert.equal(error.code, 'VALIDATION_ERROR')
      assert.deepEqual(error.details, [{ field: 'priority', message: 'must be >= 0' }])
      return true
    })
    assert.equal((await client.daemon.programs.remove('web')).was_running, true)
    assert.equal((await client.daemon.programs.reset()).programs_count, 0)
    assert.equal((await client.daemon.health()).status, 'healthy')
    const anonymous = new HoodyDaemonClient({ baseUrl: daemon.url })
    await assert.rejects(anonymous.daemon.programs.list(), { code: 'UNAUTHORIZED', status: 401 })
  })

  test('quick-start', async (t) => {
    const daemon = await startDaemon(t)
    const client = new HoodyDaemonClient({ baseUrl: `${daemon.url}/` })
    const job = await client.daemon.quickStart.start({ command: `sh -c 'echo done; exit 4'` })
    const waited = await client.daemon.quickStart.wait(job.temporary_id, { timeoutSeconds: 10 })
    assert.equal(waited.finished, true)
    assert.equal(waited.exit_status, 4)
    assert.equal((await client.daemon.quickStart.logs(job.temporary_id)).stdout, 'done\n')
    assert.equal((await client.daemon.quickStart.list()).length, 1)
    assert.equal((await client.daemon.quickStart.status(job.temporary_id)).status, 'EXITED')
    assert.ok((await client.daemon.quickStart.stop(job.temporary_id)).actions_performed.includes('removed record'))
    await assert.rejects(client.daemon.quickStart.status(job.temporary_id), { code: 'PROGRAM_NOT_FOUND' })
  })

  test('an unreachable daemon is CONNECTION_FAILED; a silent one is TIMEOUT', async () => {
    const client = new HoodyDaemonClient({ baseUrl: 'http://127.0.0.1:1' })
    await assert.rejects(client.daemon.health(), (error: unknown) => {
      assert.ok(isHoodyApiError(error))
      assert.equal(error.code, 'CONNECTION_FAILED')
      assert.equal(error.status, 0)
      assert.match(error.message, /^cannot reach hoody-daemon at http:\/\/127\.0\.0\.1:1: /)
      return true
    })
    const { createServer } = await import('node:net')
    const silent = createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    const slow = new HoodyDaemonClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 })
    await assert.rejects(slow.daemon.status.list(), { code: 'TIMEOUT' })
    silent.close()
  })

  test('the package exports map serves hoody-daemon/client from dist', async () => {
    const specifier = 'hoody-daemon/client'
    const module = await import(specifier) as { HoodyDaemonClient: unknown; HoodyApiError: unknown }
    assert.equal(typeof module.HoodyDaemonClient, 'function')
    assert.equal(typeof module.HoodyApiError, 'function')
  })
})

describe('SDK types', () => {
  test('the public surface is typed from the schemas', () => {
    const client = new HoodyDaemonClient({ baseUrl: 'http://127.0.0.1:7070' })
    expectTypeOf(client.daemon.programs.list).returns.resolves.toEqualTypeOf<Program[]>()
    expectTypeOf(client.daemon.status.get).returns.resolves.toEqualTypeOf<ProgramStatus>()
    expectTypeOf<Program['autorestart']>().toEqualTypeOf<'true' | 'false' | 'unexpected'>()
    expectTypeOf<ProgramStatus['status']>().toEqualTypeOf<'STOPPED' | 'STARTING' | 'RUNNING' | 'BACKOFF' | 'STOPPING' | 'EXITED' | 'FATAL' | 'UNKNOWN'>()
    expectTypeOf<HoodyApiError['code']>().toEqualTypeOf<HoodyErrorCode>()
    expectTypeOf<'PROGRAM_NOT_FOUND'>().toExtend<HoodyErrorCode>()
    expectTypeOf<'NOT_A_CODE'>().not.toExtend<HoodyErrorCode>()
    expectTypeOf(client.daemon.programs.add).parameter(0).toHaveProperty('command').toEqualTypeOf<string>()
    expectTypeOf(client.daemon.logs.follow).returns.toExtend<AsyncIterable<LogEvent>>()
    expectTypeOf(client.daemon.control.start).parameter(1).toEqualTypeOf<{ port?: number; wait?: boolean } | undefined>()
    // Never called: only the compiler looks at it.
    const neverCalled = () => {
      // @ts-expect-error: unknown fields are refused at compile time as well as by the API
      return client.daemon.programs.add({ name: 'x', command: 'y', colour: 'red' })
    }
    expectTypeOf(neverCalled).toBeFunction()
  })
})
