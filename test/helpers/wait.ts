// Poll against a deadline instead of sleeping and hoping.
export interface WaitOptions {
  timeoutMs?: number
  intervalMs?: number
  message?: string
}

export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 25 } = options
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== null && value !== false) return value
      last = value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms${options.message === undefined ? '' : `: ${options.message}`} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
