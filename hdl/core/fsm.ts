/**
 * The controller's state table: every state, the op it serves (for the proofs' state/op
 * consistency), and the width of the state register. Data, so the controller, the
 * proofs and the docs read one list.
 */
import type { CoreConfig, OpName } from '../../spec/index.js';
import { lit } from '../verilog.js';

/** State name → the op it belongs to, or null for the shared states. */
export const STATES = {
  INIT: null, // clear the store's valid bits after reset, one address per cycle
  IDLE: null, // cmd_ready: wait for a command
  CHECK: null, // validate the latched request (checks 1..4 of docs/hardware.md)
  EMIT: null, // send one message, one byte per cycle
  OPEN_SCORE: 'open', // serial scorer only: wait for the composite
  OPEN: 'open',
  CLOSE_START: 'close',
  CLOSE_SCAN: 'close',
  CLOSE_FIN: 'close',
  STORE_SCORE: 'store', // serial scorer only: wait for the composite
  STORE_START: 'store',
  STORE_SCAN: 'store',
  STORE_VICTIM: 'store',
  STORE_WRITE: 'store',
  STORE_DEC: 'store',
  STORE_DONE: 'store',
  RECALL_START: 'recall',
  RECALL_COUNT: 'recall',
  RECALL_HEAD: 'recall',
  RECALL_PASS_START: 'recall',
  RECALL_PASS: 'recall',
  RECALL_FETCH: 'recall',
  RECALL_REC: 'recall',
  LIST_SCAN: 'list',
  LIST_NEXT: 'list',
  FOCUS_SCAN: 'focus',
  FOCUS_DONE: 'focus',
  DECAY_WINDOWS: 'decay', // step every open window's salience, one slot per cycle
  DECAY_START: 'decay',
  DECAY_SCAN: 'decay',
  DECAY_HEAD: 'decay',
  DECAY_EVICT_START: 'decay',
  DECAY_EVICT_SCAN: 'decay',
  DECAY_EVICT_DEC: 'decay',
  DECAY_EVICT_RESUME: 'decay',
} as const satisfies Record<string, OpName | null>;

export type StateName = keyof typeof STATES;
export const STATE_NAMES = Object.keys(STATES) as StateName[];
export const STATE_BITS = Math.max(1, Math.ceil(Math.log2(STATE_NAMES.length)));

/** States that only the serial scorer's build has. */
const SERIAL_SCORER_STATES: readonly StateName[] = ['OPEN_SCORE', 'STORE_SCORE'];

/** The states a build of `config` has (encodings stay those of STATE_NAMES). */
export function buildStates(config: Pick<CoreConfig, 'scorer'>): StateName[] {
  return STATE_NAMES.filter((s) => config.scorer === 'serial' || !SERIAL_SCORER_STATES.includes(s));
}

export function stateParams(config: Pick<CoreConfig, 'scorer'>): string {
  const present = buildStates(config);
  return STATE_NAMES.flatMap((s, i) =>
    present.includes(s) ? [`    localparam [${STATE_BITS - 1}:0] S_${s} = ${lit(STATE_BITS, i)};`] : [],
  ).join('\n');
}
