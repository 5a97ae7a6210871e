// The data dir holds secrets (program environments live in programs.json): the folder is 0700,
// logs/ 0750, the data files 0600. Created that way; an existing folder or file with looser
// modes is tightened at start, and the caller logs what changed.
import { chmod, mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

export const DATA_DIR_MODE = 0o700
export const LOG_DIR_MODE = 0o750
export const DATA_FILE_MODE = 0o600
const DATA_FILES = ['programs.json', 'ephemeral.json', 'daemon.pid', 'processes.json']

export interface ModeChange {
  readonly path: string
  readonly from: number
  readonly to: number
}

export interface PreparedDataDir {
  readonly logDir: string
  /** Folders and files whose modes were tightened. */
  readonly tightened: readonly ModeChange[]
  /** Problems the daemon cannot fix itself (a data dir owned by another user). */
  readonly warnings: readonly string[]
}

/** Create the data dir and logs/ if missing, and take away permission bits beyond ours. */
export async function prepareDataDir(dataDir: string): Promise<PreparedDataDir> {
  await mkdir(dataDir, { recursive: true, mode: DATA_DIR_MODE })
  const logDir = join(dataDir, 'logs')
  await mkdir(logDir, { recursive: true, mode: LOG_DIR_MODE })
  const wanted: [string, number][] = [[dataDir, DATA_DIR_MODE], [logDir, LOG_DIR_MODE], ...DATA_FILES.map((file): [string, number] => [join(dataDir, file), DATA_FILE_MODE])]
  const tightened: ModeChange[] = []
  for (const [path, allowed] of wanted) {
    const change = await tighten(path, allowed)
    if (change !== undefined) tightened.push(change)
  }
  const warnings: string[] = []
  const owner = (await stat(dataDir)).uid
  const uid = process.getuid?.()
  if (uid !== undefined && owner !== uid) {
    warnings.push(`data dir ${dataDir} belongs to uid ${owner}, not to this daemon (uid ${uid}): that user can edit programs.json and so choose what this daemon runs`)
  }
  return { logDir, tightened, warnings }
}

// Only ever removes bits: a 0500 folder stays 0500, special bits (setgid) stay.
async function tighten(path: string, allowed: number): Promise<ModeChange | undefined> {
  let mode: number
  try {
    mode = (await stat(path)).mode & 0o7777
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const next = (mode & 0o7000) | (mode & 0o777 & allowed)
  if (next === mode) return undefined
  await chmod(path, next)
  return { path, from: mode, to: next }
}
