// supervisord tells an [eventlistener] about every state change of every process. Our listener
// is a small Python script (supervisord's own interpreter is there anyway) that writes the name
// of the group that changed to a FIFO the daemon reads: the daemon then reads that one process's
// state at once, instead of polling every process of a large set all the time.
//
// The script never blocks supervisord: it writes without blocking and drops the line when no
// daemon reads (the daemon reads every state when it comes back) or the pipe is full.
import { execFileSync } from 'node:child_process'
import { closeSync, constants, lstatSync, openSync, readFileSync, unlinkSync } from 'node:fs'
import { Socket } from 'node:net'
import { writeAtomic } from './config-writer.js'

/** The listener's group name: `@` never occurs in an id, and `<id>@<port>` ends in digits, so it never clashes. */
export const RELAY_GROUP = 'hoody@events'

export const RELAY_SCRIPT = `# written by hoody-daemon: relays supervisord's PROCESS_STATE events to the daemon
import errno, os, sys

fifo = sys.argv[1]
fd = None

def send(line):
    global fd
    try:
        if fd is None:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, line)
    except OSError:
        # No daemon reading (ENXIO, EPIPE) or the pipe is full (EAGAIN): drop it; the daemon
        # reads every state when it (re)connects, and polls now and then.
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
            fd = None

stdin = sys.stdin.buffer
stdout = sys.stdout.buffer
while True:
    stdout.write(b'READY\\n')
    stdout.flush()
    header = stdin.readline()
    if not header:
        break
    fields = dict(token.split(b':', 1) for token in header.split() if b':' in token)
    payload = stdin.read(int(fields.get(b'len', b'0')))
    body = dict(token.split(b':', 1) for token in payload.split(b'\\n', 1)[0].split() if b':' in token)
    group = body.get(b'groupname')
    if group is not None:
        send(group + b'\\n')
    stdout.write(b'RESULT 2\\nOK')
    stdout.flush()
`

/** The interpreter of supervisord's own script (its shebang), else python3 from PATH. */
export function pythonOf(supervisordBinary: string): string {
  try {
    const first = readFileSync(supervisordBinary, 'utf8').slice(0, 200).split('\n')[0] ?? ''
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first)
    if (shebang?.[1] !== undefined) return shebang[1].endsWith('/env') && shebang[2] !== undefined ? shebang[2] : shebang[1]
  } catch {
    // not readable: fall through
  }
  return 'python3'
}

export function writeRelayScript(path: string): void {
  writeAtomic(path, RELAY_SCRIPT)
}

/** A FIFO at `path` (a stale file of another kind is replaced). */
function ensureFifo(path: string): void {
  try {
    if (lstatSync(path).isFIFO()) return
    unlinkSync(path)
  } catch {
    // not there
  }
  execFileSync('mkfifo', ['-m', '0600', path], { stdio: 'ignore' })
}

/**
 * Read group names from the FIFO at `path`. The daemon holds it open read-write, so it never
 * sees an end of file when the script restarts, and the script can always open it.
 */
export function readRelay(path: string, onGroup: (group: string) => void): { close: () => void } {
  ensureFifo(path)
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK)
  let socket: Socket
  try {
    socket = new Socket({ fd, readable: true, writable: false })
  } catch (error) {
    closeSync(fd)
    throw error
  }
  let rest = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) if (line !== '') onGroup(line)
  })
  socket.on('error', () => undefined)
  return { close: () => { socket.destroy() } }
}
