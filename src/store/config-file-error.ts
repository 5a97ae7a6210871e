/** A data file that exists but cannot be used; the daemon refuses to start rather than lose it. */
export class ConfigFileError extends Error {
  readonly path: string

  constructor(path: string, problem: string, cause?: unknown) {
    super(`${path}: ${problem}`, { cause })
    this.name = 'ConfigFileError'
    this.path = path
  }
}
