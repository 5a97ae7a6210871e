// Is a TCP port already listened on? Read from /proc/net/tcp{,6} synchronously (the spawn path
// is synchronous); the holder is named by matching the socket inode in /proc/*/fd, which is
// only done when the port is taken.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

const LISTEN = '0A'

function listeningInode(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      const local = fields[1]
      if (local === undefined || fields[3] !== LISTEN) continue
      if (local.slice(local.lastIndexOf(':') + 1) === hexPort) return fields[9] ?? ''
    }
  }
  return undefined
}

function ownerOf(inode: string): string {
  const target = `socket:[${inode}]`
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) {
          const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
          return `pid ${pid} (${name})`
        }
      } catch {
        // the process or descriptor went away meanwhile
      }
    }
  }
  return ''
}

/** undefined when the port is free; otherwise who holds it ('' when that cannot be told). */
export function portHolder(port: number): string | undefined {
  const inode = listeningInode(port)
  if (inode === undefined) return undefined
  return ownerOf(inode)
}
