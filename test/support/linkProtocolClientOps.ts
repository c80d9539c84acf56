/**
 * The operations of docs/protocol.md, "Operations", from the document alone (no import from
 * spec/ or host/): opcodes, status codes, request payloads laid out and response fields read
 * at the offsets its tables give, over the frames of linkProtocolClient.ts.
 */
import { OP_SYNC, type Answer, type ProtocolClient } from './linkProtocolClient.js';

/** Opcodes ("### NAME — opcode 0x.."). */
export const OP = {
  sync: OP_SYNC,
  info: 0x01,
  open: 0x10,
  close: 0x11,
  store: 0x12,
  recall: 0x13,
  list: 0x14,
  count: 0x15,
} as const;

/** "Status codes". */
export const STATUS = {
  ok: 0x00,
  windowNotFound: 0x01,
  windowAlreadyClosed: 0x02,
  boundedMemoryExceeded: 0x03,
  boundedMemoryInsufficient: 0x04,
  invalidSalience: 0x05,
  badRequest: 0x06,
  badSequence: 0x07,
} as const;

/** The one u8 field an error status carries ("payload" column of "Status codes"). */
const ERROR_FIELD: Record<number, string> = {
  [STATUS.boundedMemoryExceeded]: 'max',
  [STATUS.boundedMemoryInsufficient]: 'min',
  [STATUS.invalidSalience]: 'reason',
  [STATUS.badRequest]: 'reason',
  [STATUS.badSequence]: 'expected',
};

/** RECALL `window` for every open window. */
export const ALL_WINDOWS = 0xffff;

// "Every payload field is little-endian."
const u16 = (p: readonly number[], at: number) => p[at]! | (p[at + 1]! << 8);
const u32 = (p: readonly number[], at: number) => (p[at]! | (p[at + 1]! << 8) | (p[at + 2]! << 16) | (p[at + 3]! << 24)) >>> 0;
const u40 = (p: readonly number[], at: number) => u32(p, at) + p[at + 4]! * 2 ** 32;
const u64 = (p: readonly number[], at: number) => BigInt(u32(p, at)) | (BigInt(u32(p, at + 4)) << 32n);
const le = (value: number | bigint, bytes: number): number[] =>
  Array.from({ length: bytes }, (_, k) => Number((BigInt(value) >> BigInt(8 * k)) & 0xffn));

/** u8 importance, u8 novelty, u8 relevance, s8 valence, u8 connection. */
export type Salience = readonly [number, number, number, number, number];
const salienceBytes = (s: Salience): number[] => [s[0], s[1], s[2], s[3] & 0xff, s[4]];

export interface Info {
  protocolVersion: number;
  maxWindows: number;
  minWindows: number;
  capacity: number;
  quota: number;
  maxPage: number;
  weights: number[];
  buildId: number;
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

export interface RecallQuery {
  window: number;
  minSalience?: number;
  limit: number;
  /** 0: insertion, 1: salience. */
  order: number;
  cursor?: { salience: number; stamp: number };
}

/** A request answered with a status other than OK; `fields` holds its payload, by name. */
export class StatusError extends Error {
  readonly fields: Record<string, number>;
  constructor(
    readonly status: number,
    readonly payload: number[],
  ) {
    super(`status 0x${status.toString(16).padStart(2, '0')} (payload ${payload.join(' ')})`);
    const name = ERROR_FIELD[status];
    this.fields = name !== undefined && payload.length === 1 ? { [name]: payload[0]! } : {};
  }
}

function expectLength(what: string, payload: readonly number[], len: number): void {
  if (payload.length !== len) throw new Error(`${what}: LEN ${payload.length}, the doc says ${len}`);
}

/** INFO payload (also SYNC's answer), LEN 17. */
export function decodeInfo(p: readonly number[]): Info {
  expectLength('INFO', p, 17);
  return {
    protocolVersion: p[0]!,
    maxWindows: p[1]!,
    minWindows: p[2]!,
    capacity: u16(p, 3),
    quota: u16(p, 5),
    maxPage: p[7]!,
    weights: p.slice(8, 13),
    buildId: u32(p, 13),
  };
}

/**
 * A client session: SYNC first, then requests numbered on from its SEQ, one at a time
 * (resent on timeout; the board answers a resend from its stored answers).
 */
export class DocSession {
  private constructor(
    private readonly client: ProtocolClient,
    private seq: number,
  ) {}

  /** SYNC with `seq`; the board then expects seq + 1. */
  static async start(client: ProtocolClient, seq: number): Promise<{ session: DocSession; info: Info }> {
    const session = new DocSession(client, seq);
    const answer = await session.call(OP.sync, []);
    if (answer.status !== STATUS.ok) throw new StatusError(answer.status, answer.payload);
    return { session, info: decodeInfo(answer.payload) };
  }

  /** One request with the next SEQ; the raw answer, whatever its status. */
  async call(op: number, payload: readonly number[]): Promise<Answer> {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    return this.client.request(seq, op, payload, 2_000, 5);
  }

  /** One request whose answer must be OK; its payload. */
  private async ok(op: number, payload: readonly number[]): Promise<number[]> {
    const answer = await this.call(op, payload);
    if (answer.status !== STATUS.ok) throw new StatusError(answer.status, answer.payload);
    return answer.payload;
  }

  /** OPEN (LEN 0 or 5) → window u16 @0, salience u8 @2 (LEN 3). */
  async open(salience?: Salience): Promise<{ window: number; salience: number }> {
    const p = await this.ok(OP.open, salience ? salienceBytes(salience) : []);
    expectLength('OPEN', p, 3);
    return { window: u16(p, 0), salience: p[2]! };
  }

  /** CLOSE window u16 @0 (LEN 2) → freed u16 @0 (LEN 2). */
  async close(window: number): Promise<{ freed: number }> {
    const p = await this.ok(OP.close, le(window, 2));
    expectLength('CLOSE', p, 2);
    return { freed: u16(p, 0) };
  }

  /** STORE window u16 @0, handle u64 @2, optional salience @10 (LEN 10 or 15) → LEN 18. */
  async store(window: number, handle: bigint, salience?: Salience): Promise<StoreResult> {
    const p = await this.ok(OP.store, [...le(window, 2), ...le(handle, 8), ...(salience ? salienceBytes(salience) : [])]);
    expectLength('STORE', p, 18);
    return {
      salience: p[0]!,
      stamp: u40(p, 1),
      evicted: p[6]!,
      evictedWindow: u16(p, 7),
      evictedSalience: p[9]!,
      evictedHandle: u64(p, 10),
    };
  }

  /**
   * RECALL window u16 @0, minSalience @2, limit @3, order @4, hasCursor @5, cursorSalience @6,
   * cursorStamp u40 @7 (LEN 12) → count @0, more @1, then `count` records of 16 bytes at
   * 2 + 16·i: window u16 +0, salience +2, stamp u40 +3, handle u64 +8.
   */
  async recall(q: RecallQuery): Promise<{ count: number; more: number; records: RecallRecord[] }> {
    const request = [
      ...le(q.window, 2),
      q.minSalience ?? 0,
      q.limit,
      q.order,
      q.cursor ? 1 : 0,
      q.cursor?.salience ?? 0,
      ...le(q.cursor?.stamp ?? 0, 5),
    ];
    const p = await this.ok(OP.recall, request);
    const count = p[0]!;
    expectLength('RECALL', p, 2 + 16 * count);
    const records = Array.from({ length: count }, (_, i) => {
      const at = 2 + 16 * i;
      return { window: u16(p, at), salience: p[at + 2]!, stamp: u40(p, at + 3), handle: u64(p, at + 8) };
    });
    return { count, more: p[1]!, records };
  }

  /** LIST → count @0, then `count` records of 5 bytes at 1 + 5·i: window u16 +0, salience +2, items u16 +3. */
  async list(): Promise<{ count: number; records: { window: number; salience: number; items: number }[] }> {
    const p = await this.ok(OP.list, []);
    const count = p[0]!;
    expectLength('LIST', p, 1 + 5 * count);
    const records = Array.from({ length: count }, (_, i) => {
      const at = 1 + 5 * i;
      return { window: u16(p, at), salience: p[at + 2]!, items: u16(p, at + 3) };
    });
    return { count, records };
  }

  /** COUNT → open u8 @0, items u16 @1 (LEN 3). */
  async count(): Promise<{ open: number; items: number }> {
    const p = await this.ok(OP.count, []);
    expectLength('COUNT', p, 3);
    return { open: p[0]!, items: u16(p, 1) };
  }
}
