// System users, looked up the way the C library does (NSS) through getent, with /etc/passwd as
// the fast path: a lookup must not block the event loop for long, and spawning is synchronous.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { promisify } from 'node:util'

export interface SystemUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
  readonly home: string
}

const run = promisify(execFile)

function parsePasswdLine(line: string): SystemUser | undefined {
  const [name, , uid, gid, , home] = line.split(':')
  if (name === undefined || uid === undefined || gid === undefined || home === undefined) return undefined
  const u = Number(uid)
  const g = Number(gid)
  if (!Number.isInteger(u) || !Number.isInteger(g)) return undefined
  return { name, uid: u, gid: g, home }
}

function matches(user: SystemUser, nameOrUid: string): boolean {
  return user.name === nameOrUid || (/^\d+$/.test(nameOrUid) && String(user.uid) === nameOrUid)
}

// Users found only through NSS (LDAP, sssd…) by an earlier asynchronous lookup.
const nssUsers = new Map<string, SystemUser>()

/** Look a user up in /etc/passwd, then among earlier NSS answers: synchronous, for the spawn path. */
export function findUserSync(nameOrUid: string): SystemUser | undefined {
  let text = ''
  try {
    text = readFileSync('/etc/passwd', 'utf8')
  } catch {
    // No readable passwd file: only NSS answers remain.
  }
  for (const line of text.split('\n')) {
    const user = parsePasswdLine(line)
    if (user !== undefined && matches(user, nameOrUid)) return user
  }
  return nssUsers.get(nameOrUid)
}

/** Look a user up through NSS (getent), falling back to /etc/passwd. */
export async function findUser(nameOrUid: string): Promise<SystemUser | undefined> {
  const local = findUserSync(nameOrUid)
  if (local !== undefined) return local
  try {
    const { stdout } = await run('getent', ['passwd', nameOrUid], { timeout: 5000 })
    const user = parsePasswdLine(stdout.trim())
    if (user !== undefined) nssUsers.set(nameOrUid, user)
    return user
  } catch {
    nssUsers.delete(nameOrUid)
    return undefined
  }
}

const daemonUser = userInfo()

/** True when `user` names the daemon's own user (or is empty, which means the same). */
export function isDaemonUser(user: string): boolean {
  return user === '' || user === daemonUser.username || user === String(daemonUser.uid)
}

export function daemonIsRoot(): boolean {
  return process.getuid?.() === 0
}

/** uid, primary gid and every group the user belongs to (from /etc/group). */
export function identityOf(user: SystemUser): { uid: number; gid: number; gids: number[] } {
  const gids = new Set<number>([user.gid])
  let text = ''
  try {
    text = readFileSync('/etc/group', 'utf8')
  } catch {
    // Without /etc/group only the primary group is known.
  }
  for (const line of text.split('\n')) {
    const [, , gid, members] = line.split(':')
    if (gid === undefined || members === undefined) continue
    if (members.split(',').includes(user.name)) gids.add(Number(gid))
  }
  return { uid: user.uid, gid: user.gid, gids: [...gids] }
}
