// Quick-start routes: ephemeral one-off programs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { QuickStartCore } from '../../core/daemon-core.js'
import { ErrorBody } from '../../schema/envelope.js'
import { QuickStartStarted, QuickStartStopped, QuickStartWaited } from '../../schema/responses.js'
import { LogsBody, LogsQuery, LogStreamQuery } from '../../schema/logs.js'
import { QuickStartBody, QuickStartStatus, WaitQuickStartQuery } from '../../schema/quick-start.js'
import { serveLogStream, type OpenStreams } from '../sse.js'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 500: ErrorBody }
const EphemeralParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }) })

export const quickStartRoutes: FastifyPluginAsyncTypebox<{ quickStart: QuickStartCore; streams: OpenStreams }> = async (app, { quickStart, streams }) => {
  app.post('/quick-start', {
    schema: {
      tags: ['quick-start'], summary: 'Run a one-off program: never restarted, cleaned up when stopped',
      body: QuickStartBody,
      response: { 201: QuickStartStarted, ...errors },
    },
  }, async (request, reply) => {
    const { temporaryId, status, pid } = await quickStart.start(request.body)
    return reply.code(201).send({ success: true, temporary_id: temporaryId, message: 'Ephemeral program started', status, pid })
  })

  app.get('/quick-start', {
    schema: { tags: ['quick-start'], summary: 'Every quick-start of this run, finished ones included', response: { 200: Type.Array(QuickStartStatus), 401: ErrorBody } },
  }, () => quickStart.list())

  app.get('/quick-start/:id/status', {
    schema: { tags: ['quick-start'], summary: 'One quick-start', params: EphemeralParams, response: { 200: QuickStartStatus, ...errors } },
  }, (request) => quickStart.status(request.params.id))

  app.get('/quick-start/:id/wait', {
    schema: {
      tags: ['quick-start'], summary: 'Answer when the quick-start exits (or at ?timeout seconds, with finished: false)',
      params: EphemeralParams, querystring: WaitQuickStartQuery,
      response: { 200: QuickStartWaited, ...errors },
    },
  }, (request) => quickStart.wait(request.params.id, request.query.timeout ?? 300))

  app.get('/quick-start/:id/logs', {
    schema: { tags: ['quick-start'], summary: 'Last N lines of its stdout and stderr', params: EphemeralParams, querystring: LogsQuery, response: { 200: LogsBody, ...errors } },
  }, (request) => quickStart.logs(request.params.id, request.query.lines ?? 100))

  app.get('/quick-start/:id/logs/stream', {
    schema: {
      tags: ['quick-start'], summary: 'Follow its logs live (Server-Sent Events)', params: EphemeralParams, querystring: LogStreamQuery, produces: ['text/event-stream'],
      response: { 200: { description: 'text/event-stream', type: 'string' }, ...errors },
    },
  }, async (request, reply) => {
    const { id } = request.params
    const { stream = 'both', lines = 10 } = request.query
    await serveLogStream({ request, reply, streams, ready: { id, stream } }, (sink) => quickStart.followLogs(id, { stream, lines }, sink))
  })

  app.post('/quick-start/:id/stop', {
    schema: {
      tags: ['quick-start'], summary: 'Stop it, delete its logs and its record', params: EphemeralParams,
      response: { 200: QuickStartStopped, ...errors },
    },
  }, async (request) => {
    const actions = await quickStart.stop(request.params.id)
    return { success: true, message: 'Ephemeral program stopped and removed', actions_performed: actions } as const
  })
}
