// How the supervisord engine learns its instances' states: an event names a group and it is read
// at once; a poll of every process is the safety net for a lost event. Every read carries a
// sequence number and a command fences off reads sent before it, so a late answer (answers on
// separate connections can be handled out of order) never takes a state back in time.
import type { EngineError } from '../../errors.js'
import type { ProcessInfo, Slot } from './slot.js'
import { XmlRpcFault, type XmlRpcClient, type XmlRpcValue } from './xmlrpc-client.js'

/** The safety poll: this often while something waits or moves, and this often otherwise... */
const FAST_POLL_MS = 1000
const SLOW_POLL_MS = 5000
/**
 * ...and never more often than this many times the last poll took. supervisord's
 * getAllProcessInfo grows faster than the number of processes (0.11 s with 300, 0.9 s with
 * 1000): a poll every second would keep it busy. This keeps the safety net under 2 % of its time.
 */
const POLL_DUTY_FACTOR = 50
/** Instances read in one system.multicall (a getProcessInfo costs ~1.5 ms of supervisord's time). */
const READS_PER_CALL = 200
const MOVING_STATES: readonly string[] = ['STARTING', 'STOPPING', 'BACKOFF']

export const target = (name: string) => `${name}:${name}`

export const isInfo = (answer: XmlRpcValue | XmlRpcFault | undefined): answer is ProcessInfo & XmlRpcValue =>
  typeof answer === 'object' && answer !== null && !Array.isArray(answer) && !(answer instanceof XmlRpcFault)

export interface StateReaderHost {
  readonly client: XmlRpcClient
  /** supervisord answers (false while it is dead or being restarted). */
  readonly up: () => boolean
  readonly closed: () => boolean
  readonly slot: (group: string) => Slot | undefined
  readonly slots: () => Iterable<Slot>
  /** A request waits for a state: the safety poll runs at its faster pace. */
  readonly waiting: () => boolean
  /** Take a new process info into the slot; true when its snapshot may have changed. */
  readonly apply: (slot: Slot, info: ProcessInfo) => boolean
  /** Some snapshot changed. */
  readonly changed: () => void
  readonly readError: (error: unknown) => EngineError
}

export class StateReader {
  private readonly host: StateReaderHost
  private seq = 0
  private pollTimer: NodeJS.Timeout | null = null
  private pollDue = 0
  /** How long the last read of every process took (ms). */
  private fullReadMs = 0
  /** Instances named by events since the last read of their state. */
  private readonly eventDue = new Set<Slot>()
  /** Why the last read of every process got no answer, or null. */
  unanswered: string | null = null

  constructor(host: StateReaderHost) {
    this.host = host
  }

  /** supervisord says the state of a group changed: read it now (several at once: together). */
  onEvent(group: string): void {
    const slot = this.host.slot(group)
    if (slot === undefined || this.host.closed()) return
    const first = this.eventDue.size === 0
    this.eventDue.add(slot)
    if (first) setImmediate(() => { this.readEventDue() })
  }

  /** The safety poll, in `ms` at the latest. */
  schedulePoll(ms: number): void {
    if (this.host.closed() || !this.host.up()) return
    const due = Date.now() + ms
    if (this.pollTimer !== null) {
      if (this.pollDue <= due) return
      clearTimeout(this.pollTimer)
    }
    this.pollDue = due
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null
      void this.refresh().catch(() => undefined).finally(() => {
        const busy = this.host.waiting() || [...this.host.slots()].some((slot) => MOVING_STATES.includes(slot.info?.statename ?? ''))
        this.schedulePoll(Math.max(busy ? FAST_POLL_MS : SLOW_POLL_MS, this.fullReadMs * POLL_DUTY_FACTOR))
      })
    }, ms)
  }

  /** A request waits for a state: poll at the faster pace meanwhile. */
  pollSoon(): void {
    this.schedulePoll(FAST_POLL_MS)
  }

  stopPolling(): void {
    if (this.pollTimer !== null) clearTimeout(this.pollTimer)
    this.pollTimer = null
  }

  /** Read every process. */
  async refresh(): Promise<void> {
    if (!this.host.up()) return
    let infos: ProcessInfo[]
    const seq = ++this.seq
    const began = Date.now()
    try {
      infos = await this.host.client.call('supervisor.getAllProcessInfo') as unknown as ProcessInfo[]
      this.fullReadMs = Date.now() - began
      this.unanswered = null
    } catch (error) {
      if (!(error instanceof XmlRpcFault)) this.unanswered = (error as Error).message
      throw error
    }
    let moved = false
    for (const info of infos) {
      const slot = this.host.slot(info.group)
      if (slot !== undefined && this.applyFresh(slot, info, seq)) moved = true
    }
    if (moved) this.host.changed()
  }

  async refreshOne(slot: Slot): Promise<void> {
    const seq = ++this.seq
    try {
      const info = await this.host.client.call('supervisor.getProcessInfo', [target(slot.name)]) as unknown as ProcessInfo
      if (this.applyFresh(slot, info, seq)) this.host.changed()
    } catch (error) {
      if (!(error instanceof XmlRpcFault)) throw this.host.readError(error)
    }
  }

  /** Read these instances' states: one call for one, multicalls for many (never all of them). */
  async refreshSome(slots: readonly Slot[]): Promise<void> {
    if (slots.length === 1 && slots[0] !== undefined) return this.refreshOne(slots[0])
    for (let first = 0; first < slots.length; first += READS_PER_CALL) {
      const part = slots.slice(first, first + READS_PER_CALL)
      const seq = ++this.seq
      let answers: (XmlRpcValue | XmlRpcFault)[]
      try {
        answers = await this.host.client.multicall(part.map((slot) => ({ method: 'supervisor.getProcessInfo', params: [target(slot.name)] })))
      } catch (error) {
        if (!(error instanceof XmlRpcFault)) throw this.host.readError(error)
        return
      }
      let moved = false
      // A fault is a group supervisord does not have (yet): nothing to apply.
      for (const [index, slot] of part.entries()) {
        const answer = answers[index]
        if (isInfo(answer) && this.applyFresh(slot, answer, seq)) moved = true
      }
      if (moved) this.host.changed()
    }
  }

  /** Reads sent before this point no longer apply to the slot (a command is about to change it). */
  fence(slot: Slot): void {
    slot.seq = ++this.seq
  }

  /** Apply a read, unless a newer read or a command came after it was sent. */
  applyFresh(slot: Slot, info: ProcessInfo, seq: number): boolean {
    if (seq < slot.seq) return false
    slot.seq = seq
    return this.host.apply(slot, info)
  }

  private readEventDue(): void {
    const due = [...this.eventDue]
    this.eventDue.clear()
    if (!this.host.up()) return
    void this.refreshSome(due).catch(() => undefined)
  }
}
