// The one place where errors become responses: every failure is the contract envelope with its
// code; anything unexpected is logged and answered as 500 without a stack trace.
import { maxHeaderSize, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DaemonError, ERRORS, SpawnError, type ErrorCode, type ErrorDetails } from '../errors.js'
import { toFieldProblems } from './validation.js'

export interface ErrorEnvelope {
  success: false
  error: string
  code: ErrorCode
  details?: ErrorDetails
  spawn_error?: string
}

export function envelope(code: ErrorCode, message: string, details?: ErrorDetails, spawnError?: string): ErrorEnvelope {
  return { success: false, error: message, code, ...(details === undefined ? {} : { details }), ...(spawnError === undefined ? {} : { spawn_error: spawnError }) }
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, details?: ErrorDetails, spawnError?: string): FastifyReply {
  return reply.code(ERRORS[code]).type('application/json; charset=utf-8').send(envelope(code, message, details, spawnError))
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
    // engine.md: a SPAWN_ERROR "whose spawn_error names" the cause, as in GET /status.
    return sendError(reply, code, message, details, error instanceof SpawnError ? error.spawnError : undefined)
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`))
}

/** Fastify's own request errors (a path that is not valid percent-encoding): the URL is the field. */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void sendError(reply, 'VALIDATION_ERROR', `bad request: ${error.message}`, [{ field: '(url)', message: 'is not a valid URL' }])
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over 16 KiB, a malformed
 * request line or header, an unknown method): answered in the envelope too, then the connection
 * is closed. Fastify's default answers 431/400 with its own body.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW'
  const code: ErrorCode = tooLarge ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR'
  const reason = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'the request was not received in time' : `${error.code ?? 'error'}: ${error.message}`
  const body = JSON.stringify(tooLarge
    ? envelope(code, `request headers are larger than ${maxHeaderSize} bytes`)
    : envelope(code, `malformed HTTP request (${reason})`, [{ field: '(request)', message: 'is not a valid HTTP/1.1 request' }]))
  // As Node itself does: only when no answer on this connection has started (a keep-alive
  // connection may be in the middle of an earlier request's answer).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
  if (socket.writable && (inFlight == null || inFlight.headersSent !== true)) {
    const status = ERRORS[code]
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(error)
}
