// Control routes: enable, disable, start, stop, restart.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DaemonCore, StartResult } from '../../core/daemon-core.js'
import { StartBody, StopBody, WaitQuery } from '../../schema/control.js'
import { ErrorBody, IdParams } from '../../schema/envelope.js'
import { DisableAnswer, PlainAnswer, StartAnswer, StopAnswer } from '../../schema/responses.js'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 500: ErrorBody }

function startAnswer(message: string, result: StartResult) {
  return {
    success: true as const,
    message,
    status: result.status,
    pid: result.pid,
    ...(result.port === undefined ? {} : { port: result.port }),
    ...(result.instances === undefined ? {} : { instances: result.instances }),
  }
}

export const controlRoutes: FastifyPluginAsyncTypebox<{ core: DaemonCore }> = async (app, { core }) => {
  app.post('/programs/:id/enable', {
    schema: { tags: ['control'], summary: 'Enable a program', params: IdParams, response: { 200: PlainAnswer, ...errors } },
  }, async (request) => {
    await core.enable(request.params.id)
    return { success: true, message: 'Program enabled' } as const
  })

  app.post('/programs/:id/disable', {
    schema: {
      tags: ['control'], summary: 'Disable a program, stopping it if it runs', params: IdParams,
      response: { 200: DisableAnswer, ...errors },
    },
  }, async (request) => {
    const { wasRunning, actions } = await core.disable(request.params.id)
    return { success: true, message: 'Program disabled', was_running: wasRunning, actions } as const
  })

  app.post('/programs/:id/start', {
    schema: {
      tags: ['control'], summary: 'Start a program (or one port); waits for RUNNING unless ?wait=false',
      params: IdParams, querystring: WaitQuery, body: StartBody, response: { 200: StartAnswer, ...errors },
    },
  }, async (request) => {
    const result = await core.start(request.params.id, { ...request.body, wait: request.query.wait ?? true })
    return startAnswer('Program started', result)
  })

  app.post('/programs/:id/restart', {
    schema: {
      tags: ['control'], summary: 'Stop then start a program (or one port)',
      params: IdParams, querystring: WaitQuery, body: StartBody, response: { 200: StartAnswer, ...errors },
    },
  }, async (request) => {
    const result = await core.restart(request.params.id, { ...request.body, wait: request.query.wait ?? true })
    return startAnswer('Program restarted', result)
  })

  app.post('/programs/:id/stop', {
    schema: {
      tags: ['control'], summary: 'Stop a program (or one port, or all instances); waits for STOPPED',
      params: IdParams, body: StopBody,
      response: { 200: StopAnswer, ...errors },
    },
  }, async (request) => {
    const { stoppedPorts } = await core.stop(request.params.id, request.body)
    if (stoppedPorts === undefined) return { success: true, message: 'Program stopped' } as const
    return { success: true, message: 'All instances stopped', stopped_ports: stoppedPorts } as const
  })
}
