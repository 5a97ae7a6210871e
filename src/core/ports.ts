// Port-range programs: validation of the range and the list of instance ports.
import { InvalidPortError, InvalidPortRangeError } from '../errors.js'
import type { PortRange } from '../schema/program.js'

export const MAX_PORTS = 1000
/** The port of the one instance of a program without a port range. */
export const SINGLE = 0

export function validatePortRange(range: PortRange): void {
  const { start, end } = range
  if (start === 0 && end === 0) return
  if (start === 0 || end === 0) {
    throw new InvalidPortRangeError('port_range needs both start and end, or both 0 for a single instance')
  }
  if (start < 1 || start > 65535 || end < 1 || end > 65535) {
    throw new InvalidPortRangeError(`port_range ${start}-${end} is outside 1-65535`)
  }
  if (end < start) throw new InvalidPortRangeError(`port_range end (${end}) is below start (${start})`)
  if (end - start + 1 > MAX_PORTS) {
    throw new InvalidPortRangeError(`port_range ${start}-${end} has ${end - start + 1} ports; at most ${MAX_PORTS} are allowed`)
  }
}

export function hasPortRange(range: PortRange): boolean {
  return range.start !== 0
}

/** The instance ports of a program: [0] for one instance, else every port of the range. */
export function instancePorts(range: PortRange): number[] {
  if (!hasPortRange(range)) return [SINGLE]
  return Array.from({ length: range.end - range.start + 1 }, (_, i) => range.start + i)
}

/** Check that `port` names an instance of the program. */
export function checkPort(range: PortRange, port: number): void {
  if (!hasPortRange(range) || port < range.start || port > range.end) throw new InvalidPortError(port, range)
}
