// Flags and HOODY_DAEMON_* variables → a validated DaemonConfig. A flag beats its variable.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

export interface DaemonConfig {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly token: string | undefined
  readonly defaultsFile: string | undefined
  readonly logLevel: string
  /** Serve HTTPS with this certificate (PEM, may hold the chain) and private key (PEM). */
  readonly tls?: TlsFiles | undefined
  /** Who supervises the programs: the daemon itself, or a private supervisord it drives. */
  readonly engine?: EngineName
}

export const ENGINES = ['native', 'supervisord'] as const
export type EngineName = (typeof ENGINES)[number]

export interface TlsFiles {
  readonly certFile: string
  readonly keyFile: string
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 7070

/** /var/lib/hoody-daemon for root; $XDG_STATE_HOME/hoody-daemon (~/.local/state/…) for others. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return '/var/lib/hoody-daemon'
  const state = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== '' ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state')
  return join(state, 'hoody-daemon')
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  token: { type: 'string' },
  defaults: { type: 'string' },
  'log-level': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  engine: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DaemonConfig | 'help' {
  let values
  try {
    ({ values } = parseArgs({ args: [...argv], options: SERVE_OPTIONS, strict: true, allowPositionals: false }))
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
  if (values.help === true) return 'help'
  // An empty flag or variable counts as not given (an empty token must never mean "no auth").
  const pick = (flag: string | undefined, variable: string) => (flag === '' ? undefined : flag) ?? (env[variable] === '' ? undefined : env[variable])

  const host = pick(values.host, 'HOODY_DAEMON_HOST') ?? DEFAULT_HOST
  const portText = pick(values.port, 'HOODY_DAEMON_PORT') ?? String(DEFAULT_PORT)
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new ConfigError(`--port '${portText}' is not a port number (0-65535; 0 picks a free port)`)
  }
  const token = pick(values.token, 'HOODY_DAEMON_TOKEN')
  if (token === undefined && !isLoopback(host)) {
    throw new ConfigError(`refusing to listen on ${host} without a token: anyone who can reach it could run programs as this user. Set --token (HOODY_DAEMON_TOKEN) or use 127.0.0.1`)
  }
  const logLevel = pick(values['log-level'], 'HOODY_DAEMON_LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level '${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`)
  const defaultsFile = pick(values.defaults, 'HOODY_DAEMON_DEFAULTS')
  const certFile = pick(values['tls-cert'], 'HOODY_DAEMON_TLS_CERT')
  const keyFile = pick(values['tls-key'], 'HOODY_DAEMON_TLS_KEY')
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [given, missing] = certFile === undefined ? ['--tls-key', '--tls-cert (HOODY_DAEMON_TLS_CERT)'] : ['--tls-cert', '--tls-key (HOODY_DAEMON_TLS_KEY)']
    throw new ConfigError(`${given} needs ${missing} too: HTTPS takes both a certificate and its private key`)
  }
  const engine = pick(values.engine, 'HOODY_DAEMON_ENGINE') ?? 'native'
  if (!(ENGINES as readonly string[]).includes(engine)) throw new ConfigError(`--engine '${engine}' is not an engine; use ${ENGINES.join(' or ')}`)
  return {
    host,
    port: Number(portText),
    engine: engine as EngineName,
    dataDir: resolve(pick(values['data-dir'], 'HOODY_DAEMON_DATA_DIR') ?? defaultDataDir(env)),
    token,
    defaultsFile: defaultsFile === undefined ? undefined : resolve(defaultsFile),
    logLevel,
    tls: certFile === undefined || keyFile === undefined ? undefined : { certFile: resolve(certFile), keyFile: resolve(keyFile) },
  }
}

export const SERVE_HELP = `Usage: hoody-daemon serve [options]

Run the Hoody Daemon HTTP API and supervise programs.

Options (each mirrors an environment variable; the flag wins):
  --host HOST         HOODY_DAEMON_HOST       address to listen on (default ${DEFAULT_HOST})
  --port PORT         HOODY_DAEMON_PORT       port (default ${DEFAULT_PORT}; 0 = any free port)
  --data-dir DIR      HOODY_DAEMON_DATA_DIR   programs.json, ephemeral.json, logs/
                                              (default /var/lib/hoody-daemon as root,
                                               ~/.local/state/hoody-daemon otherwise)
  --token TOKEN       HOODY_DAEMON_TOKEN      require Authorization: Bearer TOKEN
                                              (required for a non-loopback --host)
  --defaults FILE     HOODY_DAEMON_DEFAULTS   programs.default.json loaded on first start and reset
  --log-level LEVEL   HOODY_DAEMON_LOG_LEVEL  fatal|error|warn|info|debug|trace|silent (default info)
  --tls-cert FILE     HOODY_DAEMON_TLS_CERT   serve HTTPS with this PEM certificate (chain)
  --tls-key FILE      HOODY_DAEMON_TLS_KEY    ... and this PEM private key (both or neither)
  --engine NAME       HOODY_DAEMON_ENGINE     native (default) or supervisord: run programs under
                                              a private supervisord (docs/engines.md)
  -h, --help          show this help

Prefer HOODY_DAEMON_TOKEN to --token: a flag is visible to every user in ps.

Example:
  hoody-daemon serve --port 7070 --data-dir /tmp/hoody
`
