#!/usr/bin/env -S node --max-semi-space-size=4
// The flag keeps V8's young generation at 4 MiB per half instead of 16: less resident memory
// for a long-running daemon whose allocations are small. Not 2: a burst of starts then promotes
// its short-lived objects, and V8 spends a third full GC cleaning them up afterwards (bench P5).
// `hoody-daemon serve`: run the daemon in the foreground until SIGTERM/SIGINT.
import { runDaemonCommand } from './serve.js'

runDaemonCommand(process.argv.slice(2)).then(
  (code) => { process.exit(code) },
  (error: unknown) => {
    process.stderr.write(`hoody-daemon: fatal: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
