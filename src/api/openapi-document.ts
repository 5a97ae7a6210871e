// The OpenAPI document without a running daemon: the app is built around cores that are never
// called, which is enough for the route schemas to be collected.
import type { DaemonCore, QuickStartCore } from '../core/daemon-core.js'
import { VERSION } from '../version.js'
import { buildApp } from './app.js'
import { registerOpenApi } from './openapi.js'

function unused(name: string): object {
  return new Proxy({}, {
    get: (_target, property) => () => { throw new Error(`${name}.${String(property)} called while generating the OpenAPI document`) },
  })
}

export async function generateOpenApiDocument(version: string = VERSION): Promise<Record<string, unknown>> {
  const app = await buildApp({ core: unused('core') as DaemonCore, quickStart: unused('quickStart') as QuickStartCore, version, describe: (app) => registerOpenApi(app, version) })
  await app.ready()
  const document = app.swagger() as unknown as Record<string, unknown>
  await app.close()
  return document
}

/** The document as committed in docs/openapi.json (stable key order, trailing newline). */
export async function openApiText(): Promise<string> {
  return `${JSON.stringify(await generateOpenApiDocument(), null, 2)}\n`
}
