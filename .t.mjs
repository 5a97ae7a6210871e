import { HoodyDaemonClient } from 'hoody-daemon/client'
const c = new HoodyDaemonClient({ baseUrl: process.env.HOODY_DAEMON_URL })
await c.daemon.programs.add({ name: 'tk', command: 'sleep 100', startsecs: 0 })
const ac = new AbortController(); ac.abort()
try { for await (const e of c.daemon.logs.follow('tk', { signal: ac.signal })) console.log(e); console.log('ended quietly') } catch (e) { console.log('threw', e.code, e.message) }
const ac2 = new AbortController(); setTimeout(() => ac2.abort(), 300)
try { for await (const e of c.daemon.logs.follow('tk', { signal: ac2.signal })) console.log(e); console.log('ended quietly 2') } catch (e) { console.log('threw', e.code, e.message) }
await c.daemon.programs.remove('tk')
