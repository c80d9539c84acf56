/**
 * Random command sequences for the core's differential tests.
 *
 * The generator is seeded and learns only from response bytes (`observe`): window ids
 * from OPEN and LIST, closed (stale) ids from CLOSE, (salience, stamp) pairs for cursors
 * from STORE and RECALL. It is biased towards what breaks cores: every op and every error,
 * boundaries (limits 0/1/15/16, thresholds 0/255, full windows, a full store), stale and
 * foreign ids, equal saliences (eviction ties), follow-up pages with cursors, and DECAY
 * sweeps (step 0) after a DECAY that left items behind.
 */
import {
  ALL_WINDOWS,
  CONNECTION_INDEX,
  MAX_PAGE,
  OPS,
  SLOT_BITS,
  STATUS,
  WEIGHT_SUM,
  requestLengths,
  windowId,
  type CoreConfig,
  type OpName,
} from '../../spec/index.js';
import { seededRandom } from '../../host/util/random.js';

/** The test sequences' PRNG, under the name the differential tests import. */
export { seededRandom as rng };

export interface RandomOp {
  readonly op: number;
  readonly payload: Uint8Array;
  /** What the generator meant to exercise, for failure reports. */
  readonly kind: string;
}

class Bytes {
  readonly #b: number[] = [];
  u8(x: number): this {
    this.#b.push(x & 0xff);
    return this;
  }
  u16(x: number): this {
    return this.u8(x).u8(x >>> 8);
  }
  u40(x: number): this {
    for (let i = 0; i < 5; i++) this.u8(Math.floor(x / 2 ** (8 * i)));
    return this;
  }
  u64(x: bigint): this {
    for (let i = 0n; i < 8n; i++) this.u8(Number((x >> (8n * i)) & 0xffn));
    return this;
  }
  raw(xs: readonly number[]): this {
    for (const x of xs) this.u8(x);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.#b);
  }
}

const code = (op: OpName) => OPS[op].code;
const KNOWN_CODES: ReadonlySet<number> = new Set(Object.values(OPS).map((o) => o.code));

type Mode = 'fill' | 'churn' | 'query' | 'decay' | 'mixed';
const MODES: Mode[] = ['fill', 'churn', 'query', 'decay', 'mixed'];

/** Op weights per mode; the mode changes every few hundred ops. */
const WEIGHTS: Record<Mode, Partial<Record<OpName | 'junk', number>>> = {
  fill: { store: 60, open: 5, close: 3, recall: 10, list: 3, count: 3, focus: 2, decay: 4, setWeights: 2, info: 1, junk: 2 },
  churn: { open: 25, close: 25, store: 25, list: 6, focus: 5, count: 4, recall: 5, sync: 1, info: 1, junk: 3 },
  query: { recall: 50, store: 25, list: 4, count: 3, focus: 3, decay: 3, open: 3, close: 3, junk: 2 },
  decay: { decay: 30, store: 40, recall: 10, open: 4, close: 4, count: 4, setWeights: 3, list: 2, junk: 3 },
  mixed: { store: 30, recall: 15, open: 10, close: 10, decay: 8, list: 5, count: 5, focus: 5, setWeights: 4, info: 2, sync: 2, junk: 4 },
};

interface Page {
  window: number;
  minSalience: number;
  limit: number;
  order: number;
}

export class RandomOps {
  readonly #r: () => number;
  readonly #c: CoreConfig;
  #mode: Mode = 'mixed';
  #left = 0;
  #open: number[] = [];
  #closed: number[] = [];
  #keys: { sal: number; stamp: number }[] = [];
  #page: (Page & { sal: number; stamp: number }) | undefined;
  #sweep: number | undefined;
  #handle = 0x1000n;
  /** Saliences reused on purpose so composites tie and eviction falls back to the stamp. */
  readonly #palette: number[][];

  constructor(seed: number, config: CoreConfig) {
    this.#r = seededRandom(seed);
    this.#c = config;
    this.#palette = [[128, 128, 128, 0, 128], [255, 0, 0, -128, 1], [10, 20, 30, 40, 50], [200, 200, 200, 100, 200]];
    // Reset state: slots 0..minWindows-1 open, generation 0.
    for (let s = 0; s < config.minWindows; s++) this.#open.push(windowId(s, 0));
  }

  #int(n: number): number {
    return Math.floor(this.#r() * n);
  }
  #chance(p: number): boolean {
    return this.#r() < p;
  }
  #pick<T>(xs: readonly T[]): T | undefined {
    return xs.length ? xs[this.#int(xs.length)] : undefined;
  }
  #byte(): number {
    // Boundaries often, anything else sometimes.
    return this.#chance(0.3) ? this.#pick([0, 1, 127, 128, 254, 255])! : this.#int(256);
  }

  /** A raw salience: a palette entry (ties) or random bytes; connection 0 (refused) now and then. */
  #salience(): number[] {
    const s = this.#chance(0.5) ? [...this.#pick(this.#palette)!] : [0, 0, 0, 0, 0].map(() => this.#byte());
    if (this.#chance(0.08)) s[CONNECTION_INDEX] = 0;
    return s;
  }

  /** A window id: mostly an open one, sometimes stale, foreign, out of range or "all". */
  #window(): { id: number; kind: string } {
    const x = this.#r();
    if (x < 0.78 && this.#open.length) return { id: this.#pick(this.#open)!, kind: 'open' };
    if (x < 0.88 && this.#closed.length) return { id: this.#pick(this.#closed)!, kind: 'stale' };
    if (x < 0.92) return { id: ALL_WINDOWS, kind: 'all' };
    if (x < 0.95) return { id: windowId(this.#c.maxWindows + this.#int((1 << SLOT_BITS) - this.#c.maxWindows), this.#int(3)), kind: 'no-slot' };
    return { id: this.#int(0x10000), kind: 'random' };
  }

  next(): RandomOp {
    if (this.#left-- <= 0) {
      this.#mode = this.#pick(MODES)!;
      this.#left = 100 + this.#int(400);
    }
    if (this.#page && this.#chance(0.7)) return this.#nextPage();
    if (this.#sweep !== undefined && this.#chance(0.6)) {
      const threshold = this.#sweep;
      this.#sweep = undefined;
      return { op: code('decay'), payload: new Bytes().u8(0).u8(threshold).done(), kind: 'decay-sweep' };
    }
    const weights = WEIGHTS[this.#mode];
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    let x = this.#r() * total;
    for (const [name, w] of Object.entries(weights)) {
      x -= w;
      if (x < 0) return this.#make(name as OpName | 'junk');
    }
    return this.#make('count');
  }

  #make(name: OpName | 'junk'): RandomOp {
    switch (name) {
      case 'junk':
        return this.#junk();
      case 'open': {
        const withSal = this.#chance(0.5);
        const payload = withSal ? new Bytes().raw(this.#salience()).done() : new Uint8Array();
        return { op: code('open'), payload, kind: withSal ? 'open+sal' : 'open' };
      }
      case 'close': {
        const w = this.#window();
        return { op: code('close'), payload: new Bytes().u16(w.id).done(), kind: `close/${w.kind}` };
      }
      case 'store': {
        const w = this.#window();
        const b = new Bytes().u16(w.id).u64(this.#nextHandle());
        const withSal = this.#chance(0.45);
        if (withSal) b.raw(this.#salience());
        return { op: code('store'), payload: b.done(), kind: `store/${w.kind}${withSal ? '+sal' : ''}` };
      }
      case 'recall':
        return this.#recall();
      case 'decay': {
        const step = this.#chance(0.3) ? 0 : this.#chance(0.5) ? 1 + this.#int(8) : this.#byte();
        const threshold = this.#chance(0.2) ? this.#pick([0, 255])! : this.#int(140);
        return { op: code('decay'), payload: new Bytes().u8(step).u8(threshold).done(), kind: 'decay' };
      }
      case 'setWeights': {
        const w = this.#weights();
        return { op: code('setWeights'), payload: new Bytes().raw(w).done(), kind: 'setWeights' };
      }
      default:
        return { op: code(name), payload: new Uint8Array(), kind: name };
    }
  }

  #nextHandle(): bigint {
    this.#handle += 1n;
    // Some handles with high bits set, so every handle byte is exercised.
    return this.#chance(0.2) ? this.#handle | (BigInt(this.#int(0x10000)) << 48n) : this.#handle;
  }

  #weights(): number[] {
    const w = [0, 0, 0, 0, 0];
    let left = WEIGHT_SUM;
    for (let i = 0; i < 4; i++) {
      w[i] = Math.min(255, this.#int(Math.min(256, left + 1)));
      left -= w[i]!;
    }
    w[4] = left;
    if (w[4] > 255) {
      // Spread the remainder so every weight stays a byte.
      for (let i = 0; i < 4 && w[4]! > 255; i++) {
        const move = Math.min(255 - w[i]!, w[4]! - 255);
        w[i]! += move;
        w[4]! -= move;
      }
    }
    if (this.#chance(0.15)) w[this.#int(5)] = (w[this.#int(5)]! + 1 + this.#int(20)) & 0xff; // a wrong sum, usually
    return w;
  }

  #recall(): RandomOp {
    const w = this.#window();
    const limit = this.#chance(0.1) ? this.#pick([0, 16, 255])! : this.#chance(0.3) ? this.#pick([1, MAX_PAGE])! : 1 + this.#int(MAX_PAGE);
    const order = this.#chance(0.04) ? 2 + this.#int(3) : this.#int(2);
    const minSalience = this.#chance(0.6) ? 0 : this.#byte();
    let hasCursor = this.#chance(0.25) ? 1 : 0;
    if (this.#chance(0.03)) hasCursor = 2;
    const key = this.#pick(this.#keys) ?? { sal: this.#byte(), stamp: this.#int(50) };
    const payload = new Bytes()
      .u16(w.id)
      .u8(minSalience)
      .u8(limit)
      .u8(order)
      .u8(hasCursor)
      .u8(key.sal)
      .u40(key.stamp)
      .done();
    return { op: code('recall'), payload, kind: `recall/${w.kind}` };
  }

  #nextPage(): RandomOp {
    const p = this.#page!;
    this.#page = undefined;
    const payload = new Bytes().u16(p.window).u8(p.minSalience).u8(p.limit).u8(p.order).u8(1).u8(p.sal).u40(p.stamp).done();
    return { op: code('recall'), payload, kind: 'recall/next-page' };
  }

  #junk(): RandomOp {
    const x = this.#r();
    if (x < 0.4) {
      let op = this.#int(256);
      while (KNOWN_CODES.has(op)) op = this.#int(256);
      return { op, payload: new Uint8Array(this.#int(4)), kind: 'unknown-op' };
    }
    // A known op with a length it does not take (a few beyond the 15-byte frame limit).
    const name = this.#pick(Object.keys(OPS) as OpName[])!;
    const valid = requestLengths(name);
    let len = this.#chance(0.1) ? 16 + this.#int(8) : this.#int(16);
    while (valid.includes(len)) len = this.#int(16);
    return { op: code(name), payload: Uint8Array.from({ length: len }, () => this.#int(256)), kind: `bad-length/${name}` };
  }

  /** Learns from a response what the next commands can use. */
  observe(cmd: RandomOp, response: Uint8Array): void {
    if (response[0] !== STATUS.ok.code) return;
    const u16 = (i: number) => response[i]! | (response[i + 1]! << 8);
    const u40 = (i: number) => [0, 1, 2, 3, 4].reduce((acc, k) => acc + response[i + k]! * 2 ** (8 * k), 0);
    const rememberKey = (sal: number, stamp: number) => {
      this.#keys.push({ sal, stamp });
      if (this.#keys.length > 64) this.#keys.splice(0, this.#keys.length - 64);
    };
    switch (cmd.op) {
      case code('open'):
        this.#open.push(u16(1));
        break;
      case code('close'): {
        const id = cmd.payload[0]! | (cmd.payload[1]! << 8);
        this.#open = this.#open.filter((x) => x !== id);
        this.#closed.push(id);
        if (this.#closed.length > 32) this.#closed.shift();
        break;
      }
      case code('list'): {
        const n = response[1]!;
        this.#open = [...Array(n).keys()].map((i) => u16(2 + 5 * i));
        break;
      }
      case code('store'):
        rememberKey(response[1]!, u40(2));
        break;
      case code('recall'): {
        const n = response[1]!;
        const more = response[2]!;
        for (let i = 0; i < n; i++) rememberKey(response[3 + 16 * i + 2]!, u40(3 + 16 * i + 3));
        if (more && n > 0) {
          const p = cmd.payload;
          const lastRec = 3 + 16 * (n - 1);
          this.#page = {
            window: p[0]! | (p[1]! << 8),
            minSalience: p[2]!,
            limit: p[3]!,
            order: p[4]!,
            sal: response[lastRec + 2]!,
            stamp: u40(lastRec + 3),
          };
        }
        break;
      }
      case code('decay'):
        if (u16(2) > 0) this.#sweep = cmd.payload[1]!;
        break;
      default:
        break;
    }
  }
}
