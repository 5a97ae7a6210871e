// The pure transition function over the TRANSITIONS table.
import { IllegalTransitionError } from '../errors.js'
import { TRANSITIONS, type MachineContext, type MachineEvent, type Outcome, type ProcessState } from './states.js'

export function transition(state: ProcessState, event: MachineEvent, ctx: MachineContext): Outcome {
  const rule = TRANSITIONS[state][event.type] as ((c: MachineContext, e: MachineEvent) => Outcome) | undefined
  if (rule === undefined) throw new IllegalTransitionError(state, event.type)
  return rule(ctx, event)
}
