import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'
import { notProgramYet, untilProgram } from '../../src/core/supervisord/program-pid.js'
import { cleanup } from '../helpers/cleanup.js'

const CONFIG = '/nonexistent/hoody-test/supervisord.conf'

test('untilProgram: true once a fork (its command line names the config) has exec\'d the program', async (t) => {
  // A stand-in for supervisord's fork: it carries the config on its command line, then execs.
  const fork = spawn('sh', ['-c', 'sleep 0.05; exec sleep 100', 'fork', CONFIG], { stdio: 'ignore' })
  cleanup(t, () => { fork.kill('SIGKILL') })
  const pid = fork.pid as number
  assert.equal(notProgramYet(pid, CONFIG), true, 'still the fork')
  assert.equal(await untilProgram(pid, CONFIG), true)
  assert.equal(notProgramYet(pid, CONFIG), false, 'the program now')
})

test('untilProgram: false when the fork has not exec\'d within its bound', async (t) => {
  const fork = spawn('sh', ['-c', 'sleep 100; true', 'fork', CONFIG], { stdio: 'ignore' })
  cleanup(t, () => { fork.kill('SIGKILL') })
  assert.equal(await untilProgram(fork.pid as number, CONFIG), false)
})

test('untilProgram: false for a fork that ended before it exec\'d (its pid may go to a later fork)', async (t) => {
  const fork = spawn('sh', ['-c', 'sleep 0.05; exit 3', 'fork', CONFIG], { stdio: 'ignore' })
  cleanup(t, () => { fork.kill('SIGKILL') })
  assert.equal(await untilProgram(fork.pid as number, CONFIG), false)
})
