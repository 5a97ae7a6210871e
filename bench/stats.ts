export interface Summary {
  min: number
  median: number
  max: number
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))] ?? Number.NaN
  return { min: sorted[0] ?? Number.NaN, median: at(0.5), max: sorted.at(-1) ?? Number.NaN }
}

export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

export type Summarized<T> = { [K in keyof T]: T[K] extends number ? Summary : T[K] }

/** Each number of the runs as min/median/max; a flag holds only if it held in every run. */
export function summarizeRuns<T extends Record<string, number | boolean>>(runs: readonly T[]): Summarized<T> {
  const first = runs[0]
  if (first === undefined) throw new Error('no runs to summarize')
  const out: Record<string, Summary | boolean> = {}
  for (const key of Object.keys(first)) {
    out[key] = typeof first[key] === 'number'
      ? summarize(runs.map((run) => run[key] as number))
      : runs.every((run) => run[key] === true)
  }
  return out as Summarized<T>
}

/** A figure from an older results file (one run, a plain number) as a summary. */
export function asSummary(value: number | Summary | undefined): Summary | undefined {
  return typeof value === 'number' ? { min: value, median: value, max: value } : value
}
