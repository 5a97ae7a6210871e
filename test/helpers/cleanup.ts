// node:test runs t.after hooks first-in first-out and stops at the first that throws; cleanup
// must run last-in first-out (the daemon stops before its user is deleted) and never stop early.
import type { TestContext } from 'node:test'

const stacks = new WeakMap<TestContext, (() => unknown)[]>()

export function cleanup(t: TestContext, fn: () => unknown): void {
  let stack = stacks.get(t)
  if (stack === undefined) {
    const created: (() => unknown)[] = []
    stack = created
    stacks.set(t, created)
    t.after(async () => {
      const errors: unknown[] = []
      for (const step of created.reverse()) {
        try {
          await step()
        } catch (error) {
          errors.push(error)
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed')
    })
  }
  stack.push(fn)
}
