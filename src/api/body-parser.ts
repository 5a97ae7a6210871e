// Every body is parsed as JSON whatever its Content-Type says: anything else is INVALID_JSON,
// an empty body is "no body", and prototype-poisoning keys are refused.
import type { FastifyInstance } from 'fastify'
import sjson from 'secure-json-parse'
import { DaemonError } from '../errors.js'

export const BODY_LIMIT = 1024 * 1024

export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
    const text = (body as Buffer).toString('utf8')
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }))
    } catch (error) {
      done(new DaemonError('INVALID_JSON', `request body is not valid JSON: ${(error as Error).message}`), undefined)
    }
  })
  // Actions take an optional body: no body at all is the same as {}.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body == null && request.routeOptions.schema?.body !== undefined) {
      request.body = {}
    }
  })
}
