// What every remote command needs: a client built from --url/--token (or their variables),
// a printer, and one way to report failures.
import type { Command } from 'commander'
import { HoodyDaemonClient, isHoodyApiError } from '../client/index.js'
import { printer, type Printer } from './output.js'

export const DEFAULT_URL = 'http://127.0.0.1:7070'

export interface GlobalOptions {
  url?: string
  token?: string
  json?: boolean
  timeout?: number
}

export interface Context {
  client: HoodyDaemonClient
  print: Printer
}

export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>()
  const url = options.url ?? process.env.HOODY_DAEMON_URL ?? DEFAULT_URL
  const token = options.token ?? process.env.HOODY_DAEMON_TOKEN
  return {
    client: new HoodyDaemonClient({ baseUrl: url, token: token === '' ? undefined : token, timeoutMs: options.timeout }),
    print: printer(options.json === true),
  }
}

// The TLS error with its code is the HoodyApiError's cause (node:https), or the cause of that
// cause (fetch wraps it in TypeError('fetch failed')).
function certificateProblem(error: Error): string | undefined {
  const cause = error.cause as (Error & { code?: string }) | undefined
  const code = cause?.code ?? (cause?.cause as NodeJS.ErrnoException | undefined)?.code ?? ''
  if (!/SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|CERT_|ERR_TLS_CERT_ALTNAME_INVALID/.test(code)) return undefined
  return `  the daemon's TLS certificate was refused (${code}): for a self-signed or private-CA certificate, set NODE_EXTRA_CA_CERTS to its PEM file; the URL's host must be one the certificate names`
}

/** Run a command's work; an API or connection failure is one line on stderr and exit code 1. */
export function action<A extends unknown[]>(work: (context: Context, ...args: A) => Promise<void>) {
  return async function (this: Command, ...args: A): Promise<void> {
    try {
      await work(contextOf(this), ...args)
    } catch (error) {
      if (isHoodyApiError(error)) {
        const code = error.code === 'CONNECTION_FAILED' || error.code === 'TIMEOUT' ? '' : ` (${error.code})`
        process.stderr.write(`hoody: ${error.message}${code}\n`)
        const hint = error.code === 'CONNECTION_FAILED' ? certificateProblem(error) : undefined
        if (hint !== undefined) process.stderr.write(`${hint}\n`)
        if (Array.isArray(error.details)) for (const d of error.details) process.stderr.write(`  ${d.field}: ${d.message}\n`)
        process.exitCode = 1
        return
      }
      throw error
    }
  }
}
