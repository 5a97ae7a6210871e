// hoody daemon programs …
import { Command, InvalidArgumentError, Option } from 'commander'
import type { ProgramAddBody } from '../../schema/program.js'
import type { ProgramStatus } from '../../schema/status.js'
import { integer, oneOf } from '../args.js'
import { action, type Context } from '../context.js'
import { colourState, humanDuration, table } from '../output.js'
import { followLogs } from './follow.js'
import { addFieldOptions, fieldsFrom, type FieldOptions } from './program-fields.js'

const port = () => new Option('--port <port>', 'one port of a port-range program').argParser(integer('--port', 1, 65535))

function statusRows(statuses: ProgramStatus[], tty: boolean): string {
  const rows = statuses.flatMap((s) => [
    [s.id, s.name, colourState(s.status, tty), s.pid === null ? '-' : String(s.pid), humanDuration(s.uptime), s.exit_status === null ? '-' : String(s.exit_status), s.spawn_error ?? ''],
    ...(s.instances ?? []).map((i) => [`  :${i.port}`, '', colourState(i.status, tty), i.pid === null ? '-' : String(i.pid), humanDuration(i.uptime), i.exit_status === null ? '-' : String(i.exit_status), i.spawn_error ?? '']),
  ])
  return table(['ID', 'NAME', 'STATUS', 'PID', 'UPTIME', 'EXIT', 'ERROR'], rows)
}

function started({ print }: Context, answer: { message: string; status: ProgramStatus['status']; pid: number | null; instances?: { port: number; status: ProgramStatus['status']; pid: number | null }[] | undefined }): void {
  print.data(answer, () => {
    if (answer.instances !== undefined) {
      return `${answer.message}\n${table(['PORT', 'STATUS', 'PID'], answer.instances.map((i) => [String(i.port), colourState(i.status, print.tty), String(i.pid ?? '-')]))}`
    }
    return `${answer.message}: ${colourState(answer.status, print.tty)}${answer.pid === null ? '' : ` (pid ${answer.pid})`}\n`
  })
}

export function programsCommand(): Command {
  const programs = new Command('programs').description('register and control programs')

  addFieldOptions(programs.command('create').description('register a program').argument('<name>', 'unique name (the id is derived from it)').argument('[command...]', 'the command line'))
    .option('--id <id>', 'explicit id instead of one derived from the name')
    .option('--disabled', 'register it disabled')
    .addHelpText('after', `
Examples:
  hoody daemon programs create web -- node server.js --port 3000
  hoody daemon programs create api --command 'node api.js' --autorestart true -e NODE_ENV=production
  hoody daemon programs create pool --port-range 3000-3003 -- node server.js --port '{{PORT}}'`)
    .action(action(async ({ client, print }, name: string, words: string[], options: FieldOptions & { id?: string; disabled?: boolean }) => {
      const fields = fieldsFrom(options, words, options.boot !== undefined)
      if (fields.command === undefined) throw new InvalidArgumentError('a command is required: hoody daemon programs create <name> -- <command…> (or --command, or --from-file)')
      const body = { ...fields, name, ...(options.id === undefined ? {} : { id: options.id }), ...(options.disabled === true ? { enabled: false } : {}) } as ProgramAddBody
      const answer = await client.daemon.programs.add(body)
      print.data(answer, () => `${answer.message}: ${answer.program.id}\n`)
    }))

  programs.command('list').description('list programs (priority, then id)').action(action(async ({ client, print }) => {
    const list = await client.daemon.programs.list()
    print.data(list, () => table(['ID', 'NAME', 'ENABLED', 'BOOT', 'PRIORITY', 'COMMAND'], list.map((p) => [p.id, p.name, p.enabled ? 'yes' : 'no', p.boot ? 'yes' : 'no', String(p.priority), p.command])))
  }))

  programs.command('get').description('show one program').argument('<id>').action(action(async ({ client, print }, id: string) => {
    const program = await client.daemon.programs.get(id)
    print.data(program, () => table(['FIELD', 'VALUE'], Object.entries(program).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])))
  }))

  addFieldOptions(programs.command('edit').description('change fields of a stopped program').argument('<id>').argument('[command...]', 'a new command line'))
    .option('--name <name>', 'new name')
    .addHelpText('after', '\nExample:\n  hoody daemon programs edit web --startsecs 5 -e PORT=8080')
    .action(action(async ({ client, print }, id: string, words: string[], options: FieldOptions & { name?: string }) => {
      const fields = fieldsFrom(options, words, options.boot !== undefined)
      const answer = await client.daemon.programs.edit(id, { ...fields, ...(options.name === undefined ? {} : { name: options.name }) })
      print.data(answer, () => `${answer.message}: ${answer.program.id}\n`)
    }))

  programs.command('delete').alias('remove').description('stop and remove a program').argument('<id>').action(action(async ({ client, print }, id: string) => {
    const answer = await client.daemon.programs.remove(id)
    print.data(answer, () => `${answer.message}${answer.was_running ? ' (it was running)' : ''}\n`)
  }))

  programs.command('reset').description('stop and remove every program, reload the defaults file').action(action(async ({ client, print }) => {
    const answer = await client.daemon.programs.reset()
    print.data(answer, () => `${answer.message}: ${answer.programs_count} programs\n${answer.actions_performed.map((a) => `  ${a}`).join('\n')}\n`)
  }))

  for (const [name, text] of [['enable', 'enable a program'], ['disable', 'disable a program (stops it)']] as const) {
    programs.command(name).description(text).argument('<id>').action(action(async ({ client, print }, id: string) => {
      const answer = name === 'enable' ? await client.daemon.control.enable(id) : await client.daemon.control.disable(id)
      print.data(answer, () => `${answer.message}\n`)
    }))
  }

  for (const name of ['start', 'restart'] as const) {
    programs.command(name).description(`${name} a program (waits for RUNNING)`).argument('<id>').addOption(port())
      .option('--no-wait', 'answer at once instead of waiting for RUNNING')
      .action(action(async (context, id: string, options: { port?: number; wait: boolean }) => {
        const call = name === 'start' ? context.client.daemon.control.start : context.client.daemon.control.restart
        started(context, await call(id, { wait: options.wait, ...(options.port === undefined ? {} : { port: options.port }) }))
      }))
  }

  programs.command('stop').description('stop a program (waits until it is gone)').argument('<id>').addOption(port())
    .option('--all', 'every instance; reports the stopped ports')
    .action(action(async ({ client, print }, id: string, options: { port?: number; all?: boolean }) => {
      const answer = await client.daemon.control.stop(id, options)
      const ports = answer.stopped_ports ?? []
      print.data(answer, () => `${answer.message}${ports.length === 0 ? '' : `: ports ${ports.join(', ')}`}\n`)
    }))

  programs.command('status').description('states of every program, or of one').argument('[id]').action(action(async ({ client, print }, id: string | undefined) => {
    const statuses = id === undefined ? await client.daemon.status.list() : [await client.daemon.status.get(id)]
    print.data(id === undefined ? statuses : statuses[0], () => statusRows(statuses, print.tty))
  }))

  programs.command('logs').description('last lines of stdout and stderr; -f follows').argument('<id>').addOption(port())
    .option('-n, --lines <n>', 'how many lines (0 with -f: only new ones)', integer('--lines', 0, 10000), 100)
    .option('-f, --follow', 'keep printing new lines')
    .addOption(new Option('--stream <which>', 'stdout, stderr or both').argParser(oneOf('--stream', ['stdout', 'stderr', 'both'] as const)).default('both'))
    .addHelpText('after', '\nExamples:\n  hoody daemon programs logs web -n 50\n  hoody daemon programs logs web -f --stream stderr')
    .action(action(async (context, id: string, options: { port?: number; lines: number; follow?: boolean; stream: 'stdout' | 'stderr' | 'both' }) => {
      const { client, print } = context
      if (options.lines === 0 && options.follow !== true) throw new InvalidArgumentError('--lines 0 only makes sense with --follow')
      if (options.follow === true) {
        await followLogs(context, client.daemon.logs.follow(id, { lines: options.lines, stream: options.stream, ...(options.port === undefined ? {} : { port: options.port }) }))
        return
      }
      const logs = await client.daemon.logs.get(id, { lines: options.lines, ...(options.port === undefined ? {} : { port: options.port }) })
      print.data(logs, () => [options.stream !== 'stderr' ? logs.stdout : '', options.stream !== 'stdout' && logs.stderr !== '' ? `--- stderr ---\n${logs.stderr}` : ''].join(''))
    }))

  return programs
}
