// Real system users and groups for the tests that need them (root only); removed afterwards.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import { cleanup } from './cleanup.js'

export const IS_ROOT = process.getuid?.() === 0
export const NOT_ROOT_REASON = 'needs root to create users (CI runs as root)'

export interface TestUser {
  name: string
  uid: number
  gid: number
  extraGroup: string
  extraGid: number
  home: string
}

function quietly(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'ignore' })
  } catch {
    // already gone
  }
}

export function createUser(t: TestContext): TestUser {
  const suffix = randomBytes(3).toString('hex')
  const name = `hoodyt${suffix}`
  const extraGroup = `hoodyg${suffix}`
  execFileSync('groupadd', [extraGroup])
  cleanup(t, () => { quietly('groupdel', [extraGroup]) })
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--groups', extraGroup, name])
  // A test may have deleted the user itself already.
  cleanup(t, () => { quietly('userdel', ['--remove', name]) })
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim())
  const extraGid = Number(execFileSync('getent', ['group', extraGroup], { encoding: 'utf8' }).split(':')[2])
  return { name, uid: id('-u'), gid: id('-g'), extraGroup, extraGid, home: `/home/${name}` }
}
