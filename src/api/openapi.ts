// The OpenAPI 3.1 document, generated from the same route schemas that validate requests.
import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { ERRORS } from '../errors.js'

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hoody Daemon API',
        version,
        description: [
          'Keep any program running, controlled over HTTP. Errors answer `{ success: false, error, code, details? }`;',
          `the codes are ${Object.keys(ERRORS).join(', ')} (see docs/errors.md).`,
          'Every route but /health needs `Authorization: Bearer <token>` when the daemon has a token.',
        ].join(' '),
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: 'http://127.0.0.1:7070', description: 'default local daemon' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'programs', description: 'Register, edit and remove programs' },
        { name: 'control', description: 'Enable, disable, start, stop, restart' },
        { name: 'status', description: 'Process states' },
        { name: 'logs', description: 'Log tails and live follow' },
        { name: 'quick-start', description: 'Ephemeral one-off programs' },
        { name: 'health', description: 'Liveness' },
      ],
    },
  })
}
