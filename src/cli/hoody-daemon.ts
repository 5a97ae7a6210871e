#!/usr/bin/env node
// `hoody-daemon serve`: run the daemon in the foreground until SIGTERM/SIGINT.
import { runDaemonCommand } from './serve.js'

runDaemonCommand(process.argv.slice(2)).then(
  (code) => { process.exit(code) },
  (error: unknown) => {
    process.stderr.write(`hoody-daemon: fatal: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
