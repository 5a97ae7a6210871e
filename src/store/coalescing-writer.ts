// Serialises saves of one file and folds a burst of them into one write of the latest state:
// every caller resolves once a write that contains its change is on disk.
type Write = (data: string) => Promise<void>

interface Waiter {
  resolve: () => void
  reject: (error: unknown) => void
}

export class CoalescingWriter {
  private readonly write: Write
  private busy = false
  private next: string | null = null
  private waiters: Waiter[] = []

  constructor(write: Write) {
    this.write = write
  }

  save(data: string): Promise<void> {
    this.next = data
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
    if (!this.busy) void this.drain()
    return done
  }

  private async drain(): Promise<void> {
    this.busy = true
    while (this.next !== null) {
      const data = this.next
      const waiters = this.waiters
      this.next = null
      this.waiters = []
      try {
        await this.write(data)
        for (const waiter of waiters) waiter.resolve()
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error)
      }
    }
    this.busy = false
  }
}
