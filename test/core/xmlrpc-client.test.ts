// The supervisord XML-RPC client against a real HTTP server on a unix socket that answers the way
// supervisord 4.2 does. supervisord's own behaviour is covered in test/api/supervisord-engine.test.ts.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { XmlRpcClient, XmlRpcFault } from '../../src/core/supervisord/xmlrpc-client.js'
import { cleanup } from '../helpers/cleanup.js'

/** A server that answers every call with `answer` and keeps the request bodies. */
async function serve(t: TestContext, answer: string): Promise<{ client: XmlRpcClient; bodies: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'xmlrpc-'))
  const socketPath = join(dir, 'rpc.sock')
  const bodies: string[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8').on('data', (chunk: string) => { body += chunk }).on('end', () => {
      bodies.push(body)
      response.writeHead(200, { 'content-type': 'text/xml' })
      response.end(`<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${answer}\n</param>\n</params>\n</methodResponse>\n`)
    })
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  const client = new XmlRpcClient({ socketPath, timeoutMs: 5000 })
  cleanup(t, async () => {
    client.close()
    await new Promise((resolve) => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  })
  return { client, bodies }
}

test('a multicall sends every call in one request and hands back each value as it is, or its fault', async (t) => {
  // What supervisord answers for [startProcess, getProcessInfo, removeProcessGroup of a running group].
  const { client, bodies } = await serve(t, `<value><array><data>
<value><boolean>1</boolean></value>
<value><struct><member><name>name</name><value><string>web</string></value></member><member><name>pid</name><value><int>4242</int></value></member></struct></value>
<value><struct><member><name>faultCode</name><value><int>91</int></value></member><member><name>faultString</name><value><string>STILL_RUNNING: web</string></value></member></struct></value>
</data></array></value>`)
  const answers = await client.multicall([
    { method: 'supervisor.startProcess', params: ['web:web', false] },
    { method: 'supervisor.getProcessInfo', params: ['web:web'] },
    { method: 'supervisor.removeProcessGroup', params: ['web'] },
  ])
  assert.equal(bodies.length, 1)
  assert.match(bodies[0] ?? '', /<methodName>system\.multicall<\/methodName>/)
  assert.deepEqual((bodies[0] ?? '').match(/<name>methodName<\/name><value><string>[^<]+/g)?.map((m) => m.split('<string>')[1]), ['supervisor.startProcess', 'supervisor.getProcessInfo', 'supervisor.removeProcessGroup'])
  assert.equal(answers[0], true)
  assert.deepEqual(answers[1], { name: 'web', pid: 4242 })
  const fault = answers[2]
  assert.ok(fault instanceof XmlRpcFault)
  assert.equal(fault.faultCode, 91)
  assert.match(fault.message, /supervisor\.removeProcessGroup: STILL_RUNNING: web/)
})

test('a multicall answered with fewer values than calls gives a fault for each missing one', async (t) => {
  const { client } = await serve(t, '<value><array><data><value><boolean>1</boolean></value></data></array></value>')
  const answers = await client.multicall([{ method: 'supervisor.addProcessGroup', params: ['a'] }, { method: 'supervisor.addProcessGroup', params: ['b'] }])
  assert.equal(answers[0], true)
  assert.ok(answers[1] instanceof XmlRpcFault)
})

test('an empty multicall sends nothing', async (t) => {
  const { client, bodies } = await serve(t, '<value><array><data></data></array></value>')
  assert.deepEqual(await client.multicall([]), [])
  assert.equal(bodies.length, 0)
})
