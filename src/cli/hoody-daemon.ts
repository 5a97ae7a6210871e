#!/usr/bin/env -S node --max-semi-space-size=2
// The flag keeps V8's young generation at 2 MiB per half instead of 16: about 18 MiB less
// resident memory for a long-running daemon whose allocations are small (bench P5).
// `hoody-daemon serve`: run the daemon in the foreground until SIGTERM/SIGINT.
import { runDaemonCommand } from './serve.js'

runDaemonCommand(process.argv.slice(2)).then(
  (code) => { process.exit(code) },
  (error: unknown) => {
    process.stderr.write(`hoody-daemon: fatal: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
