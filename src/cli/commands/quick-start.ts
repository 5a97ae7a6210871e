// hoody daemon quick-start …
import { Command, InvalidArgumentError } from 'commander'
import type { QuickStartBody } from '../../schema/quick-start.js'
import { integer, keyValue, seconds } from '../args.js'
import { action } from '../context.js'
import { colourState, humanDuration, table } from '../output.js'
import { followLogs } from './follow.js'
import { commandFrom } from './program-fields.js'

export function quickStartCommand(): Command {
  const quick = new Command('quick-start').description('one-off ephemeral programs, cleaned up when stopped')

  quick.command('run').description('run a one-off program').argument('[command...]', 'the command line')
    .option('--command <line>', 'command line (or give it as the trailing words)')
    .option('--name <name>', 'a name to recognise it by')
    .option('--user <name>', 'run as this system user')
    .option('--directory <path>', 'absolute working directory')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', keyValue)
    .option('--timeout-seconds <s>', 'stop it if it runs longer', seconds('--timeout-seconds'))
    .option('-w, --wait', 'wait for it to exit, print its output, exit with its exit status')
    .addHelpText('after', "\nExamples:\n  hoody daemon quick-start run -- ./migrate.sh --dry-run\n  hoody daemon quick-start run --wait --timeout-seconds 600 'make test'")
    .action(action(async ({ client, print }, words: string[], options: { command?: string; name?: string; user?: string; directory?: string; env?: Record<string, string>; timeoutSeconds?: number; wait?: boolean }) => {
      const command = commandFrom(words, options.command)
      if (command === undefined) throw new InvalidArgumentError('a command is required: hoody daemon quick-start run -- <command…>')
      const body: QuickStartBody = {
        command,
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.user === undefined ? {} : { user: options.user }),
        ...(options.directory === undefined ? {} : { directory: options.directory }),
        ...(options.env === undefined ? {} : { environment: options.env }),
        ...(options.timeoutSeconds === undefined ? {} : { timeout_seconds: options.timeoutSeconds }),
      }
      const started = await client.daemon.quickStart.start(body)
      if (options.wait !== true) {
        print.data(started, () => `${started.message}: ${started.temporary_id} (pid ${started.pid ?? '-'})\n`)
        return
      }
      let waited = await client.daemon.quickStart.wait(started.temporary_id, { timeoutSeconds: 3600 })
      while (!waited.finished) waited = await client.daemon.quickStart.wait(started.temporary_id, { timeoutSeconds: 3600 })
      const logs = await client.daemon.quickStart.logs(started.temporary_id, { lines: 10000 })
      if (print.json) print.out(JSON.stringify({ ...waited, ...logs }, null, 2))
      else {
        process.stdout.write(logs.stdout)
        process.stderr.write(logs.stderr)
      }
      process.exitCode = waited.exit_status ?? 1
    }))

  quick.command('list').description('quick-starts of this daemon run').action(action(async ({ client, print }) => {
    const list = await client.daemon.quickStart.list()
    print.data(list, () => table(['ID', 'NAME', 'STATUS', 'PID', 'UPTIME', 'EXIT', 'COMMAND'], list.map((q) => [
      q.temporary_id, q.name, colourState(q.status, print.tty), String(q.pid ?? '-'), humanDuration(q.uptime), String(q.exit_status ?? '-'), q.command,
    ])))
  }))

  quick.command('status').description('one quick-start').argument('<id>').action(action(async ({ client, print }, id: string) => {
    const status = await client.daemon.quickStart.status(id)
    print.data(status, () => table(['FIELD', 'VALUE'], Object.entries(status).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])))
  }))

  quick.command('logs').description('its output; -f follows').argument('<id>')
    .option('-n, --lines <n>', 'how many lines (0 with -f: only new ones)', integer('--lines', 0, 10000), 100)
    .option('-f, --follow', 'keep printing new lines')
    .action(action(async (context, id: string, options: { lines: number; follow?: boolean }) => {
      if (options.lines === 0 && options.follow !== true) throw new InvalidArgumentError('--lines 0 only makes sense with --follow')
      if (options.follow === true) {
        await followLogs(context, context.client.daemon.quickStart.follow(id, { lines: options.lines }))
        return
      }
      const logs = await context.client.daemon.quickStart.logs(id, { lines: options.lines })
      context.print.data(logs, () => `${logs.stdout}${logs.stderr === '' ? '' : `--- stderr ---\n${logs.stderr}`}`)
    }))

  quick.command('stop').description('stop it and delete its logs and record').argument('<id>').action(action(async ({ client, print }, id: string) => {
    const answer = await client.daemon.quickStart.stop(id)
    print.data(answer, () => `${answer.message}\n`)
  }))

  return quick
}
