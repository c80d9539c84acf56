/**
 * Typed requests and responses of every op, over the layout-driven codec.
 * A response's wire form is the status byte followed by the payload; an OK status carries
 * the op's response layout, an error status the payload named in spec STATUS.
 */
import {
  OPS,
  OP_BY_CODE,
  STATUS,
  STATUS_BY_CODE,
  type Layout,
  type OpName,
  type RawSalience,
  type StatusName,
  type Weights,
} from '../../spec/index.js';
import { CodecError, decodeLayout, encodeLayout, type PayloadValues } from './codec.js';

export interface InfoPayload {
  protocolVersion: number;
  maxWindows: number;
  minWindows: number;
  capacity: number;
  quota: number;
  maxPage: number;
  weights: Weights;
  buildId: number;
}
export interface RecallRequest {
  window: number;
  minSalience: number;
  limit: number;
  order: number;
  hasCursor: number;
  cursorSalience: number;
  cursorStamp: number;
}
export interface StoreResult {
  salience: number;
  stamp: number;
  evicted: number;
  evictedWindow: number;
  evictedSalience: number;
  evictedHandle: bigint;
}
export interface RecallRecord {
  window: number;
  salience: number;
  stamp: number;
  handle: bigint;
}
export interface ListRecord {
  window: number;
  salience: number;
  items: number;
}
export interface DecayRecord {
  window: number;
  salience: number;
  handle: bigint;
}
type Empty = Record<never, never>;

/** Request values by op; field names and types follow spec OPS[op].request. */
export interface OpRequests {
  sync: Empty;
  info: Empty;
  open: { salience?: RawSalience };
  close: { window: number };
  store: { window: number; handle: bigint; salience?: RawSalience };
  recall: RecallRequest;
  list: Empty;
  count: Empty;
  focus: Empty;
  setWeights: { weights: Weights };
  decay: { step: number; threshold: number };
}

/** OK-response values by op; field names and types follow spec OPS[op].response. */
export interface OpResponses {
  sync: InfoPayload;
  info: InfoPayload;
  open: { window: number; salience: number };
  close: { freed: number };
  store: StoreResult;
  recall: { count: number; more: number; records: RecallRecord[] };
  list: { count: number; records: ListRecord[] };
  count: { open: number; items: number };
  focus: { window: number; salience: number };
  setWeights: Empty;
  decay: { count: number; remaining: number; records: DecayRecord[] };
}

/** Payloads of the error statuses, as spec STATUS lists them. */
export interface StatusPayloads {
  windowNotFound: Empty;
  windowAlreadyClosed: Empty;
  boundedMemoryExceeded: { max: number };
  boundedMemoryInsufficient: { min: number };
  invalidSalience: { reason: number };
  badRequest: { reason: number };
  badSequence: { expected: number };
}
export type ErrorStatus = Exclude<StatusName, 'ok'>;
export type ErrorResponse = { [S in ErrorStatus]: { status: S } & StatusPayloads[S] }[ErrorStatus];
export type OkResponse<N extends OpName> = { status: 'ok'; value: OpResponses[N] };
export type Response<N extends OpName> = OkResponse<N> | ErrorResponse;

const requestLayout = (op: OpName): Layout => OPS[op].request;
const responseLayout = (op: OpName): Layout => OPS[op].response;
const statusLayout = (s: StatusName): Layout => ({ fields: STATUS[s].payload });

export function opName(code: number): OpName {
  const name = OP_BY_CODE.get(code);
  if (name === undefined) throw new CodecError(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
  return name;
}

export function encodeRequest<N extends OpName>(op: N, request: OpRequests[N]): Uint8Array {
  return encodeLayout(requestLayout(op), request as PayloadValues);
}

export function decodeRequest<N extends OpName>(op: N, payload: Uint8Array): OpRequests[N] {
  return decodeLayout(requestLayout(op), payload) as unknown as OpRequests[N];
}

/** Status byte, then the payload. */
export function encodeResponse<N extends OpName>(op: N, response: Response<N>): Uint8Array {
  const { status } = response;
  const payload =
    response.status === 'ok'
      ? encodeLayout(responseLayout(op), response.value as unknown as PayloadValues)
      : encodeLayout(statusLayout(status), response as unknown as PayloadValues);
  const bytes = new Uint8Array(1 + payload.length);
  bytes[0] = STATUS[status].code;
  bytes.set(payload, 1);
  return bytes;
}

/** Decodes status byte + payload; throws CodecError on an unknown status or a wrong length. */
export function decodeResponse<N extends OpName>(op: N, bytes: Uint8Array): Response<N> {
  if (bytes.length < 1) throw new CodecError('empty response');
  const status = STATUS_BY_CODE.get(bytes[0]!);
  if (status === undefined) throw new CodecError(`unknown status 0x${bytes[0]!.toString(16)}`);
  const payload = bytes.subarray(1);
  if (status === 'ok') return { status, value: decodeLayout(responseLayout(op), payload) } as unknown as Response<N>;
  return { status, ...decodeLayout(statusLayout(status), payload) } as unknown as Response<N>;
}
