// The engine's programs → supervisord's configuration: every instance's section in one include
// file, then reloadConfig and the group calls that make supervisord's running set match it.
import { readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { EngineError } from '../../errors.js'
import { renderSection, writeAtomic } from './config-writer.js'
import type { Slot } from './slot.js'
import { FAULTS, XmlRpcFault, type XmlRpcClient, type XmlRpcValue } from './xmlrpc-client.js'

/**
 * One file for all sections. supervisord reads include files one at a time, and after each it
 * walks every section read so far (configparser's multiline join, supervisord's `%(here)s`):
 * with a file per instance, a reload of 1000 programs took 4.5 s of its CPU; from one file, 0.3 s.
 */
export const PROGRAMS_FILE = 'programs.conf'

/**
 * A reload still parses every section. So a sync first waits while changes keep coming: until
 * none came for an eighth of the last sync's time (10–250 ms), and at most as long as the last
 * sync took (up to 1 s). Meanwhile supervisord is busy with the previous batch's starts anyway.
 * 64 clients adding 1000 programs got 33 reloads without the wait, 20 with it.
 */
const QUIET_MIN_MS = 10
const QUIET_MAX_MS = 250
const GATHER_MAX_MS = 1000
/** Group calls sent in one system.multicall: one turn of supervisord's loop for all of them. */
const GROUP_CALLS_PER_REQUEST = 200

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type GroupCall = { method: string; params: (string | boolean)[] }

export interface ConfigSyncHost {
  readonly includeDir: string
  readonly client: XmlRpcClient
  /** supervisord is up and the engine not closed: a sync is worth sending. */
  readonly ready: () => boolean
  readonly slot: (name: string) => Slot | undefined
  /** Every configured instance: the file holds their sections. */
  readonly slots: () => Iterable<Slot>
  /** Reads sent before this point no longer apply to the slot. */
  readonly fence: (slot: Slot) => void
  /** Read the state of these groups' processes (after they were added or replaced). */
  readonly read: (names: readonly string[]) => Promise<void>
  readonly log: (level: 'error', message: string) => void
}

export class ConfigSync {
  private readonly host: ConfigSyncHost
  /** Configuration work runs one step at a time, in order. */
  private chain: Promise<void> = Promise.resolve()
  private queued: Promise<void> | null = null
  private lastChange = 0
  private lastSyncMs = 0
  /** A section changed since the file was last written. */
  private dirty = true
  /** Include files other than ours were removed (once per daemon: see writeFile). */
  private pruned = false
  /** Groups to take out of supervisord at the next removal step. */
  private removals: string[] = []
  private removalQueued: Promise<void> | null = null
  /** Why supervisord refused the last configuration, or null. */
  problem: string | null = null

  constructor(host: ConfigSyncHost) {
    this.host = host
  }

  /** Settles once every change scheduled so far has reached supervisord (or failed to). */
  get settled(): Promise<void> {
    return this.chain
  }

  /** Set the slot's section (none when its plan has none); true when it changed. */
  writeSection(slot: Slot): boolean {
    const text = slot.plan.section === null ? '' : renderSection(slot.plan.section)
    if (text === slot.written) return false
    slot.written = text
    this.dirty = true
    return true
  }

  /** The slot leaves the file at the next write. */
  removeSection(slot: Slot): void {
    if (slot.written === '') return
    slot.written = ''
    this.dirty = true
  }

  /** One sync for every change made until it begins. */
  schedule(): Promise<void> {
    this.lastChange = Date.now()
    if (this.queued !== null) return this.queued
    const run = this.chain.then(() => this.gather()).then(async () => {
      this.queued = null
      const began = Date.now()
      try {
        await this.sync()
      } finally {
        this.lastSyncMs = Date.now() - began
      }
    })
    this.queued = run
    return this.enqueue(run)
  }

  /**
   * Take the groups of removed instances (sections already removed) out of supervisord
   * directly, without a reload, in order with the syncs. Removals that arrive while
   * one waits its turn go with it.
   */
  removeGroups(names: readonly string[]): Promise<void> {
    this.removals.push(...names)
    if (this.removalQueued !== null) return this.removalQueued
    const run = this.chain.then(async () => {
      this.removalQueued = null
      // A name configured again since (removed, then added back) keeps its group: a sync queued
      // before this step may already have counted on it.
      const removals = this.removals.filter((name) => this.host.slot(name) === undefined)
      this.removals = []
      if (!this.host.ready()) return
      // A supervisord that restarts reads the file: it must not find these sections there.
      this.writeFile()
      await this.dropGroups(removals)
    })
    this.removalQueued = run
    return this.enqueue(run)
  }

  /**
   * Before a shutdown: take the groups out of supervisord's running set, in one call. Its
   * shutdown stops one group per turn of its loop, and the loop sleeps up to 1 s between turns:
   * 25 stopped groups took 24 s. A group still running refuses (STILL_RUNNING) and is stopped by
   * the shutdown as before. The file keeps every section for the next start.
   */
  async releaseGroups(names: readonly string[]): Promise<void> {
    await this.calls(names.map((name) => ({ method: 'supervisor.removeProcessGroup', params: [name] })))
  }

  private enqueue(run: Promise<void>): Promise<void> {
    this.chain = run.catch(() => undefined)
    return run
  }

  private async gather(): Promise<void> {
    const deadline = Date.now() + Math.min(this.lastSyncMs, GATHER_MAX_MS)
    const quiet = Math.min(Math.max(this.lastSyncMs / 8, QUIET_MIN_MS), QUIET_MAX_MS)
    for (;;) {
      const quietFor = Date.now() - this.lastChange
      const left = deadline - Date.now()
      if (quietFor >= quiet || left <= 0) return
      await delay(Math.min(quiet - quietFor, left))
    }
  }

  /** reloadConfig, then add new groups, replace changed stopped ones, remove gone ones. */
  private async sync(): Promise<void> {
    if (!this.host.ready()) return
    this.writeFile()
    let added: string[] = []
    let changedNames: string[] = []
    let removed: string[] = []
    try {
      const answer = await this.host.client.call('supervisor.reloadConfig') as string[][][]
      ;[added = [], changedNames = [], removed = []] = answer[0] ?? []
      this.problem = null
    } catch (error) {
      this.problem = `supervisord rejected the configuration: ${(error as Error).message}`
      this.host.log('error', this.problem)
      throw new EngineError(this.problem, error)
    }
    await this.dropGroups(removed)
    // A live group keeps its old configuration until it is stopped (the API refuses such edits anyway).
    const replaced = changedNames.filter((name) => {
      const info = this.host.slot(name)?.info
      return info === undefined || info === null || ['STOPPED', 'EXITED', 'FATAL'].includes(info.statename)
    })
    for (const name of replaced) {
      const slot = this.host.slot(name)
      if (slot !== undefined) this.host.fence(slot)
    }
    await this.calls(replaced.flatMap((name) => [
      { method: 'supervisor.removeProcessGroup', params: [name] },
      { method: 'supervisor.addProcessGroup', params: [name] },
    ]))
    await this.calls(added.map((name) => ({ method: 'supervisor.addProcessGroup', params: [name] })))
    // Only what changed: reading every process takes supervisord 0.9 s with 1000 of them.
    await this.host.read([...added, ...changedNames]).catch(() => undefined)
  }

  /**
   * Write the file when a section changed, sections in name order. At the first write, any other
   * include file goes: one file per instance, as earlier versions wrote them, or a temp file a
   * crash left behind (this process never leaves one: its writes rename at once).
   */
  private writeFile(): void {
    if (this.dirty) {
      const sections = [...this.host.slots()].filter((slot) => slot.written !== '').sort((a, b) => (a.name < b.name ? -1 : 1))
      writeAtomic(join(this.host.includeDir, PROGRAMS_FILE), sections.map((slot) => slot.written).join('\n'))
      this.dirty = false
    }
    if (this.pruned) return
    for (const file of readdirSync(this.host.includeDir)) {
      if (file === PROGRAMS_FILE) continue
      try { unlinkSync(join(this.host.includeDir, file)) } catch { /* gone */ }
    }
    this.pruned = true
  }

  /**
   * Remove groups from supervisord's running set. Those still running (a program removed while no
   * daemon ran) are stopped first, one by one: stopProcessGroup always answers later (a deferred),
   * and in a multicall each deferred waits a 50 ms turn of its own.
   */
  private async dropGroups(names: readonly string[]): Promise<void> {
    const answers = await this.calls(names.map((name) => ({ method: 'supervisor.removeProcessGroup', params: [name] })))
    const running = names.filter((_, index) => {
      const answer = answers[index]
      return answer instanceof XmlRpcFault && answer.faultCode === FAULTS.STILL_RUNNING
    })
    for (const name of running) {
      await this.host.client.call('supervisor.stopProcessGroup', [name, true]).catch(() => undefined)
      await this.host.client.call('supervisor.removeProcessGroup', [name]).catch(() => undefined)
    }
  }

  /**
   * Group calls, in order, GROUP_CALLS_PER_REQUEST to a request. A call that fails leaves nothing
   * to do (the next read shows what is there): its answer is a fault.
   */
  private async calls(list: readonly GroupCall[]): Promise<(XmlRpcValue | XmlRpcFault)[]> {
    const answers: (XmlRpcValue | XmlRpcFault)[] = []
    for (let first = 0; first < list.length; first += GROUP_CALLS_PER_REQUEST) {
      const part = list.slice(first, first + GROUP_CALLS_PER_REQUEST)
      answers.push(...await this.host.client.multicall(part).catch((error: unknown) => part.map(() => error instanceof XmlRpcFault ? error : new XmlRpcFault('system.multicall', 0, String(error)))))
    }
    return answers
  }
}
