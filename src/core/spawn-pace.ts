// Whether a spawn should go off the event loop. Alone (a respawn after a crash, one start), a
// spawn is fastest done right here: handing the open(2)s and the clone to libuv's pool and back
// costs two thread hand-offs, 1.5 ms of a 5 ms respawn on a busy machine (bench P2). In a burst
// (a deployment starting hundreds of programs) the pool lets the event loop serve the next
// requests while the kernel clones, and spawns overlap (bench P1). A burst: another spawn has
// not settled yet, or this is the third start within 10 ms (P2's respawns, one at a time, come
// 4-15 ms apart; P1's, 1000 in 2.5 s, about every 2.5 ms).
const BURST_WINDOW_MS = 10

/** When the last two spawns began. */
let previous = Number.NEGATIVE_INFINITY
let last = Number.NEGATIVE_INFINITY
let unsettled = 0

export interface SpawnPace {
  /** Part of a burst: open and spawn on the thread pool. */
  readonly offload: boolean
  /** The spawn has settled (spawned or failed). */
  done(): void
}

export function beginSpawn(now = performance.now()): SpawnPace {
  const offload = unsettled > 0 || now - previous < BURST_WINDOW_MS
  previous = last
  last = now
  unsettled++
  let settled = false
  return {
    offload,
    done() {
      if (settled) return
      settled = true
      unsettled--
    },
  }
}
