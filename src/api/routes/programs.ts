// Program registry routes: list, get, add, edit, remove.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { DaemonCore } from '../../core/daemon-core.js'
import { ErrorBody, IdParams } from '../../schema/envelope.js'
import { ProgramAnswer, RemoveAnswer, ResetAnswer } from '../../schema/responses.js'
import { Program, ProgramAddBody, ProgramEditBody } from '../../schema/program.js'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 500: ErrorBody }

export const programRoutes: FastifyPluginAsyncTypebox<{ core: DaemonCore }> = async (app, { core }) => {
  app.get('/programs', {
    schema: { tags: ['programs'], summary: 'List programs, by priority then id', response: { 200: Type.Array(Program), 401: ErrorBody } },
  }, () => core.listPrograms())

  app.get('/programs/:id', {
    schema: { tags: ['programs'], summary: 'Get one program', params: IdParams, response: { 200: Program, ...errors } },
  }, (request) => core.getProgram(request.params.id))

  app.post('/programs/add', {
    schema: {
      tags: ['programs'], summary: 'Add a program (every default filled in)', body: ProgramAddBody,
      response: { 201: ProgramAnswer, ...errors },
    },
  }, async (request, reply) => {
    const program = await core.addProgram(request.body)
    return reply.code(201).send({ success: true, message: 'Program added successfully', program })
  })

  app.post('/programs/reset', {
    schema: {
      tags: ['programs'], summary: 'Stop and remove every program, then load the defaults file',
      response: { 200: ResetAnswer, ...errors },
    },
  }, async () => {
    const { actions, count } = await core.reset()
    return { success: true, message: 'Programs reset to defaults', actions_performed: actions, programs_count: count } as const
  })

  app.post('/programs/edit/:id', {
    schema: {
      tags: ['programs'], summary: 'Edit a stopped program: given fields replace, others stay', params: IdParams, body: ProgramEditBody,
      response: { 200: ProgramAnswer, ...errors },
    },
  }, async (request) => {
    const program = await core.editProgram(request.params.id, request.body)
    return { success: true, message: 'Program updated', program } as const
  })

  app.post('/programs/remove/:id', {
    schema: {
      tags: ['programs'], summary: 'Stop every instance, then remove the program', params: IdParams,
      response: { 200: RemoveAnswer, ...errors },
    },
  }, async (request) => {
    const { wasRunning } = await core.removeProgram(request.params.id)
    return { success: true, message: 'Program removed permanently', was_running: wasRunning } as const
  })
}
