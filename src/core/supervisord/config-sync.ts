// The engine's programs → supervisord's configuration: one include file per instance, then
// reloadConfig and the group calls that make supervisord's running set match the files.
import { readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { EngineError } from '../../errors.js'
import { renderSection, sectionFile, writeAtomic } from './config-writer.js'
import type { Slot } from './slot.js'
import type { XmlRpcClient } from './xmlrpc-client.js'

export interface ConfigSyncHost {
  readonly includeDir: string
  readonly client: XmlRpcClient
  /** supervisord is up and the engine not closed: a sync is worth sending. */
  readonly ready: () => boolean
  readonly slot: (name: string) => Slot | undefined
  /** Reads sent before this point no longer apply to the slot. */
  readonly fence: (slot: Slot) => void
  /** Read every process's state after the groups changed. */
  readonly refresh: () => Promise<void>
  readonly log: (level: 'error', message: string) => void
}

export class ConfigSync {
  private readonly host: ConfigSyncHost
  /** Configuration work runs one step at a time, in order. */
  private chain: Promise<void> = Promise.resolve()
  private queued: Promise<void> | null = null
  /** Why supervisord refused the last configuration, or null. */
  problem: string | null = null

  constructor(host: ConfigSyncHost) {
    this.host = host
  }

  /** Settles once every change scheduled so far has reached supervisord (or failed to). */
  get settled(): Promise<void> {
    return this.chain
  }

  /** Write (or remove) the slot's include file; true when the file changed. */
  writeSection(slot: Slot): boolean {
    const text = slot.plan.section === null ? '' : renderSection(slot.plan.section)
    if (text === slot.written) return false
    if (text === '') this.removeSection(slot)
    else writeAtomic(sectionFile(this.host.includeDir, slot.name), text)
    slot.written = text
    return true
  }

  removeSection(slot: Slot): void {
    try {
      unlinkSync(sectionFile(this.host.includeDir, slot.name))
    } catch {
      // not there
    }
    slot.written = ''
  }

  /** One sync for every change made until it begins. */
  schedule(): Promise<void> {
    if (this.queued !== null) return this.queued
    const run = this.chain.then(() => {
      this.queued = null
      return this.sync()
    })
    this.queued = run
    this.chain = run.catch(() => undefined)
    return run
  }

  /** reloadConfig, then add new groups, replace changed stopped ones, remove gone ones. */
  private async sync(): Promise<void> {
    if (!this.host.ready()) return
    this.pruneFiles()
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
    for (const name of removed) {
      await this.call('supervisor.stopProcessGroup', [name, true])
      await this.call('supervisor.removeProcessGroup', [name])
    }
    for (const name of changedNames) {
      // A live group keeps its old configuration until it is stopped (the API refuses such edits anyway).
      const slot = this.host.slot(name)
      const live = slot?.info
      if (live !== undefined && live !== null && !['STOPPED', 'EXITED', 'FATAL'].includes(live.statename)) continue
      if (slot !== undefined) this.host.fence(slot)
      await this.call('supervisor.removeProcessGroup', [name])
      await this.call('supervisor.addProcessGroup', [name])
    }
    for (const name of added) await this.call('supervisor.addProcessGroup', [name])
    await this.host.refresh().catch(() => undefined)
  }

  /** Include files no configured instance owns (programs removed while the daemon was down). */
  private pruneFiles(): void {
    for (const file of readdirSync(this.host.includeDir)) {
      if (!file.endsWith('.conf') || this.host.slot(file.slice(0, -5)) !== undefined) continue
      try { unlinkSync(join(this.host.includeDir, file)) } catch { /* gone */ }
    }
  }

  /** A group call whose failure leaves nothing to do: the next read shows what is there. */
  private async call(method: string, params: (string | boolean)[]): Promise<void> {
    await this.host.client.call(method, params).catch(() => undefined)
  }
}
