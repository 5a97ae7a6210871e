// Serialises saves of one file and folds a burst of them into one write of the latest state:
// every caller resolves once a write that contains its change is on disk. The content is a
// function, called only for the state actually written: a burst of 1000 saves of a growing
// list serialises it a few times, not 1000 times.
type Write = (data: string) => Promise<void>
export type Content = () => string

interface Waiter {
  resolve: () => void
  reject: (error: unknown) => void
}

export class CoalescingWriter {
  private readonly write: Write
  private busy = false
  private next: Content | null = null
  private waiters: Waiter[] = []

  constructor(write: Write) {
    this.write = write
  }

  save(data: Content): Promise<void> {
    this.next = data
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
    if (!this.busy) void this.drain()
    return done
  }

  private async drain(): Promise<void> {
    this.busy = true
    while (this.next !== null) {
      const content = this.next
      const waiters = this.waiters
      this.next = null
      this.waiters = []
      try {
        await this.write(content())
        for (const waiter of waiters) waiter.resolve()
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error)
      }
    }
    this.busy = false
  }
}
