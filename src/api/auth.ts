// Bearer-token check on every route but /health. Both sides are hashed first, so the
// comparison takes the same time whatever the token's length or content. Without a token,
// requests sent by web pages are refused instead.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sendError } from './error-handler.js'

const digest = (value: string) => createHash('sha256').update(value).digest()

export function tokenMatches(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given))
}

/**
 * True for a request a web browser sent on a page's behalf: browsers add Origin to every
 * cross-origin request and to every POST, and Sec-Fetch-Site to every request; curl, the CLI and
 * the SDK send neither (Node's fetch sends only Sec-Fetch-Mode). `none` is a typed-in address.
 */
function fromWebPage(headers: Record<string, string | string[] | undefined>): boolean {
  const site = headers['sec-fetch-site']
  return headers.origin !== undefined || (site !== undefined && site !== 'none')
}

export function installAuth(app: FastifyInstance, options: { token: string | undefined; openPaths: readonly string[] }): void {
  const { token } = options
  const open = new Set(options.openPaths)
  if (token === undefined || token === '') {
    // Without a token anyone who reaches the port may run commands, and a web page in a local
    // browser can reach a loopback port too (a text/plain POST needs no preflight; DNS rebinding
    // makes it same-origin). So pages get nothing; a token is what lets a browser in.
    app.addHook('onRequest', async (request, reply) => {
      if (open.has(request.url.split('?')[0] ?? '') || !fromWebPage(request.headers)) return
      await sendError(reply, 'UNAUTHORIZED', 'requests from web pages are refused while the daemon has no token: start it with --token (HOODY_DAEMON_TOKEN)')
    })
    return
  }
  app.addHook('onRequest', async (request, reply) => {
    if (open.has(request.url.split('?')[0] ?? '')) return
    const header = request.headers.authorization ?? ''
    const match = /^Bearer[ ]+(.+)$/i.exec(header)
    if (match?.[1] !== undefined && tokenMatches(token, match[1].trim())) return
    reply.header('WWW-Authenticate', 'Bearer realm="hoody-daemon"')
    await sendError(reply, 'UNAUTHORIZED', header === '' ? 'missing bearer token: send Authorization: Bearer <token>' : 'invalid bearer token')
  })
}
