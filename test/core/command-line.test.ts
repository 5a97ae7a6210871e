import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseCommand, withPort } from '../../src/core/command-line.js'
import { ValidationError } from '../../src/errors.js'

const direct: [string, string[]][] = [
  ['sleep 10', ['sleep', '10']],
  ['  /usr/bin/node   server.js  --port=3000 ', ['/usr/bin/node', 'server.js', '--port=3000']],
  [`echo 'hello world'`, ['echo', 'hello world']],
  [`echo "a b" c`, ['echo', 'a b', 'c']],
  [`echo a\\ b`, ['echo', 'a b']],
  [`echo "say \\"hi\\""`, ['echo', 'say "hi"']],
  [`echo 'it''s'`, ['echo', 'its']],
  [`echo ''`, ['echo', '']],
  [`echo '$HOME' "*"`, ['echo', '$HOME', '*']],
  ['python3 -c "print(1)"', ['python3', '-c', 'print(1)']],
  ['env a=b', ['env', 'a=b']],
]

for (const [command, argv] of direct) {
  test(`direct: ${command}`, () => {
    const parsed = parseCommand(command)
    assert.equal(parsed.mode, 'direct')
    assert.deepEqual([parsed.file, ...parsed.args], argv)
  })
}

const shellExec = ['echo $HOME', 'ls *.txt', 'node server.js > out.log', 'cmd 2>&1', 'echo "$PATH"', 'cat ~/.profile', 'echo `date`', 'exit-with 3 # comment']
for (const command of shellExec) {
  test(`shell with exec: ${command}`, () => {
    assert.deepEqual(parseCommand(command), { file: '/bin/sh', args: ['-c', `exec ${command}`], mode: 'shell-exec' })
  })
}

const shell = ['a | b', 'a && b', 'a; b', 'a &', '(a)', 'FOO=bar node x.js', 'while true; do sleep 1; done', 'echo a\necho b', 'exec sleep 5']
for (const command of shell) {
  test(`shell: ${JSON.stringify(command)}`, () => {
    assert.deepEqual(parseCommand(command), { file: '/bin/sh', args: ['-c', command], mode: 'shell' })
  })
}

for (const command of [`echo 'open`, 'echo "open', 'echo \\', '   ', "''"]) {
  test(`malformed: ${JSON.stringify(command)}`, () => {
    assert.throws(() => parseCommand(command), ValidationError)
  })
}

test('withPort replaces every placeholder', () => {
  assert.equal(withPort('serve --port={{PORT}} # {{PORT}}', 3001), 'serve --port=3001 # 3001')
})
