// One async lock per key: operations on one program run one after another, so a check
// ("nothing runs") still holds when the change it guards is applied.
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const result = previous.then(task, task)
    const tail = result.catch(() => undefined)
    this.tails.set(key, tail)
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key) })
    return result
  }

  /** Hold the locks of every key (in a fixed order, so two callers cannot deadlock). */
  runAll<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort()
    const step = (index: number): Promise<T> => {
      const key = sorted[index]
      return key === undefined ? task() : this.run(key, () => step(index + 1))
    }
    return step(0)
  }
}
