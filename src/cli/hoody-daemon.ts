#!/usr/bin/env node
// `hoody-daemon serve`: run the daemon in the foreground until SIGTERM/SIGINT.
import { ConfigError, parseServeArgs, SERVE_HELP } from '../config.js'
import { ConfigFileError } from '../store/config-file-error.js'

const USAGE = `Usage: hoody-daemon serve [options]   (hoody-daemon serve --help for the options)\n`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(SERVE_HELP)
    return 0
  }
  if (command === '--version' || command === '-v') {
    const { VERSION } = await import('../version.js')
    process.stdout.write(`${VERSION}\n`)
    return 0
  }
  if (command !== 'serve') {
    process.stderr.write(command === undefined ? USAGE : `unknown command '${command}'\n${USAGE}`)
    return 2
  }
  let config
  try {
    config = parseServeArgs(rest)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hoody-daemon: ${error.message}\n`)
      return 2
    }
    throw error
  }
  if (config === 'help') {
    process.stdout.write(SERVE_HELP)
    return 0
  }
  const { startDaemon } = await import('../server.js')
  let daemon
  try {
    daemon = await startDaemon(config)
  } catch (error) {
    if (error instanceof ConfigFileError || (error as NodeJS.ErrnoException).code !== undefined) {
      process.stderr.write(`hoody-daemon: cannot start: ${(error as Error).message}\n`)
      return 1
    }
    throw error
  }
  process.stdout.write(`listening on ${daemon.url}\n`)

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      daemon.app.log.info({ signal }, 'shutting down: stopping every program')
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      // A second signal while stopping is ignored: programs still get their stopwaitsecs.
      process.on('SIGTERM', () => undefined)
      process.on('SIGINT', () => undefined)
      daemon.close().then(resolve, (error: unknown) => {
        daemon.app.log.error({ err: error }, 'error during shutdown')
        resolve()
      })
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
  return 0
}

main(process.argv.slice(2)).then(
  (code) => { process.exit(code) },
  (error: unknown) => {
    process.stderr.write(`hoody-daemon: fatal: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
