// Callers waiting for a condition on the engine's state: each is checked again at every change
// until it holds or its time is up. While any wait, the state reader polls more often.

export class ChangeWaiters {
  private readonly waiters = new Set<() => void>()

  get waiting(): boolean {
    return this.waiters.size > 0
  }

  /** Check every waiter against the new state. */
  changed(): void {
    for (const check of [...this.waiters]) check()
  }

  /**
   * Resolves with `read()` once `done` holds for it, or when `timeoutMs` is over (Infinity: no
   * limit). `asked` runs once the wait is registered (to have the state read soon).
   */
  until<T>(read: () => T, done: (value: T) => boolean, timeoutMs: number, asked: () => void): Promise<T> {
    if (done(read())) return Promise.resolve(read())
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve(read())
      }
      const check = () => { if (done(read())) finish() }
      const timer = Number.isFinite(timeoutMs) ? setTimeout(finish, Math.max(0, timeoutMs)) : undefined
      this.waiters.add(check)
      asked()
    })
  }
}
