// Bearer-token check on every route but /health. Both sides are hashed first, so the
// comparison takes the same time whatever the token's length or content.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sendError } from './error-handler.js'

const digest = (value: string) => createHash('sha256').update(value).digest()

export function tokenMatches(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given))
}

export function installAuth(app: FastifyInstance, options: { token: string | undefined; openPaths: readonly string[] }): void {
  const { token } = options
  if (token === undefined || token === '') return
  const open = new Set(options.openPaths)
  app.addHook('onRequest', async (request, reply) => {
    if (open.has(request.url.split('?')[0] ?? '')) return
    const header = request.headers.authorization ?? ''
    const match = /^Bearer[ ]+(.+)$/i.exec(header)
    if (match?.[1] !== undefined && tokenMatches(token, match[1].trim())) return
    reply.header('WWW-Authenticate', 'Bearer realm="hoody-daemon"')
    await sendError(reply, 'UNAUTHORIZED', header === '' ? 'missing bearer token: send Authorization: Bearer <token>' : 'invalid bearer token')
  })
}
