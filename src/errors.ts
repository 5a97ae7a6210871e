// The contract's error codes, in one table. Every failure the daemon reports is a DaemonError
// carrying one of these codes; the API turns it into the error envelope, the SDK narrows on it.

export const ERRORS = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  INVALID_PORT_RANGE: 400,
  INVALID_PORT: 400,
  USER_NOT_FOUND: 400,
  UNAUTHORIZED: 401,
  PROGRAM_NOT_FOUND: 404,
  NOT_FOUND: 404,
  PROGRAM_ALREADY_EXISTS: 409,
  PROGRAM_RUNNING: 409,
  PROGRAM_DISABLED: 409,
  PAYLOAD_TOO_LARGE: 413,
  SPAWN_ERROR: 500,
  SUPERVISORD_ERROR: 500,
} as const

export type ErrorCode = keyof typeof ERRORS

/** One problem with one field of a request, named by its dotted path. */
export interface FieldProblem {
  field: string
  message: string
}

export type ErrorDetails = FieldProblem[] | Record<string, unknown>

export class DaemonError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details: ErrorDetails | undefined

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'DaemonError'
    this.code = code
    this.statusCode = ERRORS[code]
    this.details = options.details
  }
}

export class ValidationError extends DaemonError {
  constructor(message: string, details: FieldProblem[]) {
    super('VALIDATION_ERROR', message, { details })
    this.name = 'ValidationError'
  }

  /** A validation error about one field. */
  static field(field: string, message: string): ValidationError {
    return new ValidationError(`${field}: ${message}`, [{ field, message }])
  }
}

export class ProgramNotFoundError extends DaemonError {
  constructor(id: string) {
    super('PROGRAM_NOT_FOUND', `program '${id}' does not exist`)
    this.name = 'ProgramNotFoundError'
  }
}

export class ProgramAlreadyExistsError extends DaemonError {
  constructor(what: 'id' | 'name', value: string) {
    super('PROGRAM_ALREADY_EXISTS', `a program with ${what} '${value}' already exists`, {
      details: [{ field: what, message: 'already in use' }],
    })
    this.name = 'ProgramAlreadyExistsError'
  }
}

export class ProgramRunningError extends DaemonError {
  constructor(id: string, state: string) {
    super('PROGRAM_RUNNING', `program '${id}' is ${state}; stop it before editing`)
    this.name = 'ProgramRunningError'
  }
}

export class ProgramDisabledError extends DaemonError {
  constructor(id: string) {
    super('PROGRAM_DISABLED', `program '${id}' is disabled; enable it before starting`)
    this.name = 'ProgramDisabledError'
  }
}

export class InvalidPortRangeError extends DaemonError {
  constructor(message: string) {
    super('INVALID_PORT_RANGE', message, { details: [{ field: 'port_range', message }] })
    this.name = 'InvalidPortRangeError'
  }
}

export class InvalidPortError extends DaemonError {
  constructor(port: number, range: { start: number; end: number }) {
    const where = range.start === 0 ? 'the program has no port_range' : `its port_range is ${range.start}-${range.end}`
    super('INVALID_PORT', `port ${port} is not an instance of this program: ${where}`, {
      details: [{ field: 'port', message: 'not inside port_range' }],
    })
    this.name = 'InvalidPortError'
  }
}

export class UserNotFoundError extends DaemonError {
  constructor(user: string) {
    super('USER_NOT_FOUND', `user '${user}' is not a user on this system`, {
      details: [{ field: 'user', message: 'no such system user' }],
    })
    this.name = 'UserNotFoundError'
  }
}

export class SpawnError extends DaemonError {
  /** Why, in the words `GET /status` shows as `spawn_error`; the answer carries it at the top too. */
  readonly spawnError: string | undefined

  constructor(message: string, details?: Record<string, unknown>) {
    super('SPAWN_ERROR', message, details === undefined ? {} : { details })
    this.name = 'SpawnError'
    this.spawnError = typeof details?.spawn_error === 'string' ? details.spawn_error : undefined
  }
}

export class EngineError extends DaemonError {
  constructor(message: string, cause?: unknown) {
    super('SUPERVISORD_ERROR', message, { cause })
    this.name = 'EngineError'
  }
}

/** A bug: the engine was asked to do something its own rules forbid. */
export class IllegalTransitionError extends EngineError {
  constructor(state: string, event: string) {
    super(`illegal transition: event '${event}' in state ${state}`)
    this.name = 'IllegalTransitionError'
  }
}
