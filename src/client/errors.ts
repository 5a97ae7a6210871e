import type { ErrorCode } from '../errors.js'

/** Codes the SDK itself adds when no answer came back from the daemon. */
export type ClientErrorCode = 'CONNECTION_FAILED' | 'TIMEOUT' | 'BAD_RESPONSE'

/** Every code a {@link HoodyApiError} can carry: the API's codes plus the client's own. */
export type HoodyErrorCode = ErrorCode | ClientErrorCode

/** One problem with one field of a request, as the API reports it in `details`. */
export interface FieldProblem {
  field: string
  message: string
}

/**
 * Thrown by every SDK call that does not succeed. Narrow on `code` (a literal union) rather
 * than on `instanceof`: two copies of the SDK may be loaded in one program.
 *
 * @example
 * try { await client.daemon.control.start('web') }
 * catch (error) { if (isHoodyApiError(error) && error.code === 'PROGRAM_DISABLED') … }
 */
export class HoodyApiError extends Error {
  /** The API's error code, or CONNECTION_FAILED / TIMEOUT / BAD_RESPONSE. */
  readonly code: HoodyErrorCode
  /** The HTTP status; 0 when no answer arrived. */
  readonly status: number
  /** Field problems for VALIDATION_ERROR, or the extra data of other errors. */
  readonly details: FieldProblem[] | Record<string, unknown> | undefined

  constructor(options: { code: HoodyErrorCode; status: number; message: string; details?: FieldProblem[] | Record<string, unknown> | undefined; cause?: unknown }) {
    super(options.message, { cause: options.cause })
    this.name = 'HoodyApiError'
    this.code = options.code
    this.status = options.status
    this.details = options.details
  }
}

/** True for a {@link HoodyApiError}, even one thrown by another copy of the SDK. */
export function isHoodyApiError(value: unknown): value is HoodyApiError {
  return value instanceof HoodyApiError || (value instanceof Error && value.name === 'HoodyApiError' && 'code' in value && 'status' in value)
}
