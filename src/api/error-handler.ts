// The one place where errors become responses: every failure is the contract envelope with its
// code; anything unexpected is logged and answered as 500 without a stack trace.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DaemonError, ERRORS, type ErrorCode, type ErrorDetails } from '../errors.js'
import { toFieldProblems } from './validation.js'

export interface ErrorEnvelope {
  success: false
  error: string
  code: ErrorCode
  details?: ErrorDetails
}

export function envelope(code: ErrorCode, message: string, details?: ErrorDetails): ErrorEnvelope {
  return { success: false, error: message, code, ...(details === undefined ? {} : { details }) }
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, details?: ErrorDetails): FastifyReply {
  return reply.code(ERRORS[code]).type('application/json; charset=utf-8').send(envelope(code, message, details))
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'INVALID_JSON',
  FST_ERR_BAD_URL: 'VALIDATION_ERROR',
}

function classify(error: FastifyError): { code: ErrorCode; message: string; details?: ErrorDetails } {
  if (error instanceof DaemonError) return { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) }
  if (error.validation !== undefined) {
    const details = toFieldProblems(error.validation as Parameters<typeof toFieldProblems>[0])
    const part = error.validationContext ?? 'request'
    const summary = details.map((d) => `${d.field} ${d.message}`).join('; ')
    return { code: 'VALIDATION_ERROR', message: `invalid ${part}: ${summary}`, details }
  }
  const mapped = FASTIFY_CODES[error.code]
  if (mapped === 'PAYLOAD_TOO_LARGE') return { code: mapped, message: 'request body is larger than 1 MiB' }
  if (mapped === 'INVALID_JSON') return { code: mapped, message: `request body is not valid JSON: ${error.message}` }
  if (mapped !== undefined) return { code: mapped, message: error.message }
  const status = error.statusCode ?? 500
  if (status === 404) return { code: 'NOT_FOUND', message: error.message }
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than 1 MiB' }
  if (status >= 400 && status < 500) return { code: 'VALIDATION_ERROR', message: error.message }
  return { code: 'SUPERVISORD_ERROR', message: 'internal error in the daemon; see its log' }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { code, message, details } = classify(error)
    // Expected failures (a program that will not start) are news, not daemon bugs.
    if (error instanceof DaemonError && ERRORS[code] >= 500) request.log.warn({ code, reason: message }, 'request failed')
    else if (ERRORS[code] >= 500) request.log.error({ err: error }, 'request failed')
    return sendError(reply, code, message, details)
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`))
}
