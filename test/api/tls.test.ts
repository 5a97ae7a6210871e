// --tls-cert / --tls-key: a real HTTPS daemon with a self-signed certificate made by openssl.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { TLSSocket } from 'node:tls'
import { hoody } from '../helpers/cli.js'
import { runToExit, startDaemon, tempDir } from '../helpers/daemon.js'


interface Pem {
  dir: string
  cert: string
  key: string
}

/** A self-signed certificate for localhost and 127.0.0.1 (the daemon prints 127.0.0.1). */
function selfSigned(t: TestContext): Pem {
  const dir = tempDir(t, 'hoody-tls-')
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'pipe' })
  } catch (error) {
    throw new Error(`openssl is needed to make a test certificate (apt-get install openssl; .ci/run installs it): ${(error as Error).message}`)
  }
  return { dir, cert, key }
}

interface HttpsReply {
  status: number
  body: any
  fingerprint: string
}

function httpsRequest(url: string, options: { ca?: Buffer; method?: string; headers?: Record<string, string> } = {}): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, ...(options.ca === undefined ? {} : { ca: options.ca }), agent: false }, (res) => {
      const fingerprint = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().fingerprint256 : 'not TLS'
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text), fingerprint }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}



describe('HTTPS', () => {
  test('serves HTTPS with the given certificate; /health is open, the rest needs the token; plain HTTP fails', async (t) => {
    const pem = selfSigned(t)
    const ca = readFileSync(pem.cert)
    const daemon = await startDaemon(t, { token: 'tls-token', args: ['--tls-cert', pem.cert, '--tls-key', pem.key] })
    assert.match(daemon.stdout(), /^listening on https:\/\/127\.0\.0\.1:\d+\n$/)

    const health = await httpsRequest(`${daemon.base}/health`, { ca })
    assert.equal(health.status, 200)
    assert.equal(health.body.status, 'healthy')
    assert.equal(health.fingerprint, new X509Certificate(ca).fingerprint256, 'the daemon presents our certificate')

    const anonymous = await httpsRequest(`${daemon.base}/programs`, { ca })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.body.code, 'UNAUTHORIZED')
    const authed = await httpsRequest(`${daemon.base}/programs`, { ca, headers: { authorization: 'Bearer tls-token' } })
    assert.equal(authed.status, 200)
    assert.deepEqual(authed.body, [])

    await assert.rejects(httpsRequest(`${daemon.base}/health`), /self-signed certificate/, 'an untrusted certificate is refused by the client')
    await assert.rejects(fetch(`${daemon.base.replace(/^https:/, 'http:')}/health`), 'plain HTTP gets no answer')
  })

  test('the variables work too, and the hoody CLI talks HTTPS with NODE_EXTRA_CA_CERTS', async (t) => {
    const pem = selfSigned(t)
    const daemon = await startDaemon(t, { token: 'cli-tls', env: { HOODY_DAEMON_TLS_CERT: pem.cert, HOODY_DAEMON_TLS_KEY: pem.key } })
    assert.match(daemon.url, /^https:\/\//)
    const env = { HOODY_DAEMON_URL: daemon.url, HOODY_DAEMON_TOKEN: 'cli-tls' }

    const trusted = await hoody(['daemon', 'programs', 'list', '--json'], { ...env, NODE_EXTRA_CA_CERTS: pem.cert })
    assert.equal(trusted.code, 0, trusted.stderr)
    assert.deepEqual(JSON.parse(trusted.stdout), [])
    const health = await hoody(['daemon', 'health', '--url', daemon.url], { NODE_EXTRA_CA_CERTS: pem.cert })
    assert.equal(health.code, 0, health.stderr)
    assert.match(health.stdout, /^healthy/)

    const untrusted = await hoody(['daemon', 'programs', 'list'], env)
    assert.equal(untrusted.code, 1)
    assert.match(untrusted.stderr, /self-signed certificate/)
    assert.match(untrusted.stderr, /NODE_EXTRA_CA_CERTS/, 'the CLI says how to trust the certificate')
  })

  test('only one of --tls-cert and --tls-key is refused (exit 2), as flag or variable', async (t) => {
    const dataDir = join(tempDir(t), 'never-created')
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--tls-cert', '/etc/hostname'], {}, /--tls-cert needs --tls-key/],
      [['--tls-key', '/etc/hostname'], {}, /--tls-key needs --tls-cert/],
      [[], { HOODY_DAEMON_TLS_CERT: '/etc/hostname' }, /--tls-cert needs --tls-key \(HOODY_DAEMON_TLS_KEY\)/],
      [[], { HOODY_DAEMON_TLS_KEY: '/etc/hostname' }, /--tls-key needs --tls-cert \(HOODY_DAEMON_TLS_CERT\)/],
    ]
    for (const [args, env, message] of cases) {
      const { code, stderr } = await runToExit(['serve', '--port', '0', '--data-dir', dataDir, ...args], env)
      assert.equal(code, 2, `${args.join(' ')} ${JSON.stringify(env)}`)
      assert.match(stderr, message)
    }
    assert.equal(existsSync(dataDir), false)
  })

  test('an unreadable, invalid or mismatched file stops the start (exit 1) and is named', async (t) => {
    const pem = selfSigned(t)
    const dataDir = join(tempDir(t), 'never-created')
    const garbage = join(pem.dir, 'garbage.pem')
    writeFileSync(garbage, 'not a certificate\n')
    const otherKey = join(pem.dir, 'other-key.pem')
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', otherKey], { stdio: 'pipe' })
    const missing = join(pem.dir, 'missing.pem')
    const cases: [string, string, RegExp][] = [
      [missing, pem.key, new RegExp(`cannot start: ${missing}: TLS certificate cannot be read \\(ENOENT\\)`)],
      [pem.cert, missing, new RegExp(`cannot start: ${missing}: TLS private key cannot be read \\(ENOENT\\)`)],
      [garbage, pem.key, new RegExp(`cannot start: ${garbage}: is not a PEM certificate`)],
      [pem.cert, garbage, new RegExp(`cannot start: ${garbage}: is not an unencrypted PEM private key`)],
      [pem.cert, otherKey, new RegExp(`cannot start: ${otherKey}: is not the private key of the certificate in ${pem.cert}`)],
    ]
    for (const [cert, key, message] of cases) {
      const { code, stderr } = await runToExit(['serve', '--port', '0', '--data-dir', dataDir, '--tls-cert', cert, '--tls-key', key])
      assert.equal(code, 1, `${cert} ${key}: ${stderr}`)
      assert.match(stderr, message)
    }
    assert.equal(existsSync(dataDir), false, 'nothing is created before the TLS files are checked')
  })
})
