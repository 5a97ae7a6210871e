// Ports for tests that need real, currently free ones.
import { createServer } from 'node:net'

/** A free block of `count` consecutive ports, found by binding them. */
export async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 20000 + Math.floor(Math.random() * 30000)
    const servers = []
    let ok = true
    for (let port = start; port < start + count; port++) {
      const server = createServer()
      const bound = await new Promise<boolean>((resolve) => {
        server.once('error', () => { resolve(false) })
        server.listen(port, '127.0.0.1', () => { resolve(true) })
      })
      if (!bound) { ok = false; break }
      servers.push(server)
    }
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
    if (ok) return start
  }
  throw new Error('no free port block')
}
