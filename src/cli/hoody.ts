#!/usr/bin/env -S node --max-semi-space-size=4
// `hoody`: the command line. Remote commands go through the SDK; only `serve` loads the daemon.
import { Argument, Command, CommanderError } from 'commander'
import { VERSION } from '../version.js'
import { integer } from './args.js'
import { DEFAULT_URL } from './context.js'
import { programsCommand } from './commands/programs.js'
import { quickStartCommand } from './commands/quick-start.js'
import { action } from './context.js'
import { completionScript } from './completion.js'

// Commander prints its own parse errors; a usage error raised inside an action is printed by main.
let usagePrinted = false

function forEachCommand(command: Command, visit: (command: Command) => void): void {
  visit(command)
  for (const child of command.commands) forEachCommand(child, visit)
}

function build(): Command {
  const root = new Command('hoody').description('Hoody: command line for Hoody Daemon').version(VERSION, '-v, --version')
  const daemon = root.command('daemon').description('talk to a Hoody Daemon (or run one with `serve`)')
    .option('--url <url>', `daemon URL (HOODY_DAEMON_URL, default ${DEFAULT_URL})`)
    .option('--token <token>', 'bearer token (HOODY_DAEMON_TOKEN)')
    .option('--json', 'print JSON answers instead of tables')
    .option('--timeout <ms>', 'per-request timeout in milliseconds', integer('--timeout', 1, 3_600_000))
    .addHelpText('after', `
Examples:
  hoody daemon programs create web -- node server.js
  hoody daemon programs start web
  hoody daemon programs status
  hoody daemon programs logs web -f
  hoody daemon quick-start run --wait -- ./backup.sh
  HOODY_DAEMON_URL=http://10.0.0.5:7070 HOODY_DAEMON_TOKEN=… hoody daemon health`)

  daemon.addCommand(programsCommand())
  daemon.addCommand(quickStartCommand())
  daemon.command('health').description('is the daemon up, and are its checks fine? (exit 1 when unhealthy)').action(action(async ({ client, print }) => {
    const health = await client.daemon.health()
    print.data(health, () => `${health.status} (version ${health.version}, up ${health.uptime} s; supervisor: ${health.checks.supervisor}; config: ${health.checks.config})\n`)
    if (health.status !== 'healthy') process.exitCode = 1
  }))
  daemon.command('serve').description('run the daemon in the foreground (same as hoody-daemon serve)')
    .allowUnknownOption().helpOption(false).argument('[options...]', 'hoody-daemon serve options (see hoody daemon serve --help)')
    .action(async (options: string[]) => {
      const { runDaemonCommand } = await import('./serve.js')
      process.exitCode = await runDaemonCommand(['serve', ...options])
    })

  root.command('completion').description('print a shell completion script: eval "$(hoody completion bash)"')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => { process.stdout.write(completionScript(shell, root)) })
  forEachCommand(root, (command) => {
    command.exitOverride().showHelpAfterError().configureOutput({
      writeErr: (text) => {
        usagePrinted = true
        process.stderr.write(text)
      },
    })
  })
  return root
}

async function main(): Promise<void> {
  // `hoody … | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
  const root = build()
  try {
    await root.parseAsync(process.argv)
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; every usage error is exit code 2, before any request.
      const informational = error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version'
      if (!informational && !usagePrinted) process.stderr.write(`hoody: error: ${error.message}\n(see --help)\n`)
      process.exitCode = informational ? 0 : 2
      return
    }
    process.stderr.write(`hoody: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}

void main()
