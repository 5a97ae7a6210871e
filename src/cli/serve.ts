// `serve`: run the daemon in the foreground until SIGTERM/SIGINT (shared by hoody-daemon and hoody).
import { ConfigError, parseServeArgs, SERVE_HELP } from '../config.js'

const USAGE = `Usage: hoody-daemon serve [options]   (hoody-daemon serve --help for the options)\n`

/** `hoody-daemon <command>`: serve, --help, --version. Resolves with the exit code. */
export async function runDaemonCommand(argv: string[]): Promise<number> {
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
  // Programs inherit the daemon's environment: the token must not go with it, or any program
  // (whatever its user) could drive the daemon.
  delete process.env.HOODY_DAEMON_TOKEN
  // Signals are handled from the first moment: a SIGTERM during start-up still stops what
  // boot spawned. SIGHUP (a closed terminal) must not kill a daemon that keeps programs alive.
  let stopRequested: NodeJS.Signals | undefined
  let requestStop = (signal: NodeJS.Signals) => { stopRequested = signal }
  process.on('SIGTERM', () => { requestStop('SIGTERM') })
  process.on('SIGINT', () => { requestStop('SIGINT') })
  process.on('SIGHUP', () => undefined)

  const { startDaemon } = await import('../server.js')
  let daemon
  try {
    daemon = await startDaemon(config)
  } catch (error) {
    if (error instanceof Error && ('path' in error || 'code' in error || error.name === 'DataDirLockedError')) {
      process.stderr.write(`hoody-daemon: cannot start: ${error.message}\n`)
      return 1
    }
    throw error
  }
  process.stdout.write(`listening on ${daemon.url}\n`)

  const running = daemon
  await new Promise<void>((resolve) => {
    let stopping = false
    requestStop = (signal) => {
      // A second signal while stopping is ignored: programs still get their stopwaitsecs.
      if (stopping) return
      stopping = true
      running.app.log.info({ signal }, 'shutting down: stopping every program')
      running.close().then(resolve, (error: unknown) => {
        running.app.log.error({ err: error }, 'error during shutdown')
        resolve()
      })
    }
    if (stopRequested !== undefined) requestStop(stopRequested)
  })
  return 0
}

