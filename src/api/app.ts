// Builds the HTTP app around a DaemonCore; never listens (server.ts does), so tests can inject.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { DaemonCore, QuickStartCore } from '../core/daemon-core.js'
import { ErrorBody } from '../schema/envelope.js'
import { installAuth } from './auth.js'
import { BODY_LIMIT, installJsonBodyParser } from './body-parser.js'
import { answerClientError, answerFrameworkError, installErrorHandling } from './error-handler.js'
import { controlRoutes } from './routes/control.js'
import { programRoutes } from './routes/programs.js'
import { quickStartRoutes } from './routes/quick-start.js'
import { statusRoutes } from './routes/status.js'
import { endStreamsOnClose } from './sse.js'
import { validatorCompiler } from './validation.js'

export const API_PREFIX = '/api/v1/daemon'
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`

export interface AppOptions {
  readonly core: DaemonCore
  readonly quickStart: QuickStartCore
  readonly version: string
  readonly token?: string | undefined
  readonly logger?: FastifyServerOptions['logger']
  readonly startedAt?: number
  /** Serve HTTPS with this PEM certificate and key (server.ts reads and checks the files). */
  readonly https?: { readonly cert: Buffer; readonly key: Buffer } | undefined
  /**
   * Registers what collects the route schemas as routes are added: only the app that generates
   * the OpenAPI document has it (openapi-document.ts). A daemon builds that document on the first
   * request for it, so @fastify/swagger and its YAML parser are not loaded otherwise (bench P5:
   * every loaded module is heap that each garbage collection marks again).
   */
  readonly describe?: ((app: FastifyInstance) => Promise<void>) | undefined
}

/**
 * Log fields that could carry the bearer token. Request logging is off and the default request
 * serializer leaves headers out; this keeps it so if either ever changes.
 */
export const LOG_REDACT_PATHS = ['req.headers.authorization', 'request.headers.authorization', 'headers.authorization', 'token', 'config.token'] as const

export interface RouteEntry {
  readonly method: string
  readonly url: string
}

const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>()

/** Every route the app registered (HEAD twins of GET routes left out). */
export function routesOf(app: FastifyInstance): readonly RouteEntry[] {
  return routeTables.get(app) ?? []
}

const documents = new Map<string, Promise<Record<string, unknown>>>()

/** Built once per version, by an app of its own that never listens. */
function openApiDocument(version: string): Promise<Record<string, unknown>> {
  let document = documents.get(version)
  if (document === undefined) {
    document = import('./openapi-document.js').then(({ generateOpenApiDocument }) => generateOpenApiDocument(version))
    // A failure is not kept: the next request tries again.
    document.catch(() => documents.delete(version))
    documents.set(version, document)
  }
  return document
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.https === undefined ? {} : { https: { cert: options.https.cert, key: options.https.key } }),
    bodyLimit: BODY_LIMIT,
    logger: options.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    // Requests in flight during shutdown get real answers; the core refuses new starts.
    return503OnClosing: false,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>()

  const routes: RouteEntry[] = []
  routeTables.set(app, routes)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url })
  })
  app.setValidatorCompiler(validatorCompiler)
  installErrorHandling(app)
  const streams = endStreamsOnClose(app)
  installJsonBodyParser(app)
  // Once the daemon is closing, a keep-alive connection must not outlive its last answer: the
  // server's close only ends connections that are idle at that moment.
  app.addHook('onSend', async (_request, reply) => {
    if (!app.server.listening) reply.header('connection', 'close')
  })
  // The contract: every endpoint but /health needs the token (the OpenAPI document included).
  installAuth(app, { token: options.token, openPaths: [`${API_PREFIX}/health`] })
  if (options.describe !== undefined) await options.describe(app)

  const { core } = options
  await app.register(async (api) => {
    await api.register(programRoutes, { core })
    await api.register(controlRoutes, { core })
    await api.register(quickStartRoutes, { quickStart: options.quickStart, streams })
    await api.register(statusRoutes, { core, streams, version: options.version, startedAt: options.startedAt ?? Date.now() })
  }, { prefix: API_PREFIX })
  app.get(OPENAPI_PATH, {
    schema: { tags: ['health'], summary: 'This OpenAPI 3.1 document', response: { 200: { type: 'object', additionalProperties: true }, 401: ErrorBody } },
  }, () => openApiDocument(options.version))
  return app
}
