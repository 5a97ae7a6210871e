// Status, logs and health routes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DaemonCore } from '../../core/daemon-core.js'
import { ErrorBody, IdParams } from '../../schema/envelope.js'
import { HealthBody } from '../../schema/health.js'
import { LogsBody, LogsQuery, LogStreamQuery } from '../../schema/logs.js'
import { serveLogStream, type OpenStreams } from '../sse.js'
import { ProgramStatus, ProgramStatusList, type ProgramStatus as ProgramStatusValue } from '../../schema/status.js'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }

export interface StatusRouteOptions {
  core: DaemonCore
  streams: OpenStreams
  version: string
  startedAt: number
}

export const statusRoutes: FastifyPluginAsyncTypebox<StatusRouteOptions> = async (app, { core, streams, version, startedAt }) => {
  // The core hands out the same list object until something in it changes, so its JSON is kept
  // too: a dashboard polling every program costs a comparison, not a serialisation.
  let servedList: unknown
  let servedBody = ''
  const serializeStatusList = (list: unknown): string => {
    if (list !== servedList) {
      servedList = list
      servedBody = JSON.stringify(list)
    }
    return servedBody
  }
  app.get('/status', {
    schema: { tags: ['status'], summary: 'Status of every program', response: { 200: ProgramStatusList, 401: ErrorBody } },
    serializerCompiler: ({ httpStatus }) => (httpStatus === '200' ? serializeStatusList : (data) => JSON.stringify(data)),
    // Fastify's reply typing wants a mutable array; the list is only read by the serializer above.
  }, () => core.statusAll() as ProgramStatusValue[])

  app.get('/status/:id', {
    schema: { tags: ['status'], summary: 'Status of one program', params: IdParams, response: { 200: ProgramStatus, ...errors } },
  }, (request) => core.status(request.params.id))

  app.get('/programs/:id/logs', {
    schema: {
      tags: ['logs'], summary: 'Last N lines of stdout and stderr, read from the end of the files',
      params: IdParams, querystring: LogsQuery, response: { 200: LogsBody, ...errors },
    },
  }, (request) => core.logs(request.params.id, { lines: request.query.lines ?? 100, ...(request.query.port === undefined ? {} : { port: request.query.port }) }))

  app.get('/programs/:id/logs/stream', {
    schema: {
      tags: ['logs'], summary: 'Follow logs live (Server-Sent Events): backlog first, then each new line',
      description: 'Events: `ready` (JSON), `stdout` / `stderr` (one line per event), `dropped` (JSON: bytes skipped for a slow client). Comments `: ping` every 15 s.',
      params: IdParams, querystring: LogStreamQuery, produces: ['text/event-stream'],
      response: { 200: { description: 'text/event-stream', type: 'string' }, ...errors },
    },
  }, async (request, reply) => {
    const { id } = request.params
    const { port, stream = 'both', lines = 10 } = request.query
    await serveLogStream({ request, reply, streams, ready: { id, stream, ...(port === undefined ? {} : { port }) } }, (sink) =>
      core.followLogs(id, { stream, lines, ...(port === undefined ? {} : { port }) }, sink))
  })

  app.get('/health', {
    schema: { tags: ['health'], summary: 'Liveness and checks; never needs a token', security: [], response: { 200: HealthBody, 503: HealthBody } },
  }, async (_request, reply) => {
    const checks = core.health()
    const healthy = checks.supervisor === 'running' && checks.config === 'valid'
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'unhealthy',
      service: 'hoody-daemon',
      version,
      timestamp: new Date().toISOString(),
      uptime: Math.floor((Date.now() - startedAt) / 1000),
      checks,
    })
  })
}
