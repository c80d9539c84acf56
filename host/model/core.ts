/**
 * Bit-exact reference model of the working-memory core (docs/hardware.md).
 *
 * `execute(op, payload)` answers a command exactly as the core's response stream does:
 * the status byte, then the payload. The Verilog core is held to it by the differential
 * tests; the link engine (virtual board) runs it behind the frame protocol.
 */
import {
  ALL_WINDOWS,
  BadRequestReason,
  CONNECTION_INDEX,
  MAX_PAGE,
  NEUTRAL_SALIENCE,
  OPS,
  OP_BY_CODE,
  PROTOCOL_VERSION,
  STAMP_BITS,
  SalienceReason,
  buildId,
  compositeSalience,
  parseCoreConfig,
  requestLengths,
  windowGeneration,
  windowId,
  windowSlot,
  type CoreConfig,
  type OpName,
  type RawSalience,
  type Weights,
  GENERATION_BITS,
  WEIGHT_SUM,
} from '../../spec/index.js';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type ErrorResponse,
  type InfoPayload,
  type OpRequests,
  type RecallRecord,
  type Response,
} from '../protocol/messages.js';

/** One content-store entry; `null` is a free address. */
export interface StoreEntry {
  slot: number;
  sal: number;
  stamp: number;
  handle: bigint;
}

/** The core's whole architectural state (docs/hardware.md "State"). */
export interface CoreState {
  open: boolean[];
  gen: number[];
  wsal: number[];
  items: number[];
  openCount: number;
  store: (StoreEntry | null)[];
  itemCount: number;
  stampNext: number;
  weights: Weights;
}

const STAMP_MOD = 2 ** STAMP_BITS;
const GEN_MOD = 1 << GENERATION_BITS;

const err = {
  windowNotFound: (): ErrorResponse => ({ status: 'windowNotFound' }),
  windowAlreadyClosed: (): ErrorResponse => ({ status: 'windowAlreadyClosed' }),
  exceeded: (max: number): ErrorResponse => ({ status: 'boundedMemoryExceeded', max }),
  insufficient: (min: number): ErrorResponse => ({ status: 'boundedMemoryInsufficient', min }),
  salience: (reason: number): ErrorResponse => ({ status: 'invalidSalience', reason }),
  badRequest: (reason: number): ErrorResponse => ({ status: 'badRequest', reason }),
};

/** (sal, stamp) ordering used by both eviction rules: lowest salience, then oldest. */
function lower(a: StoreEntry, b: StoreEntry): boolean {
  return a.sal < b.sal || (a.sal === b.sal && a.stamp < b.stamp);
}

/** RECALL sort key; salience order puts the most salient first, oldest first on ties. */
function recallKey(order: number, sal: number, stamp: number): number {
  // (255 − sal)·2^40 + stamp < 2^48: exact in a double.
  return order === 0 ? stamp : (255 - sal) * STAMP_MOD + stamp;
}

export class CoreModel {
  readonly config: CoreConfig;
  #s!: CoreState;

  constructor(config: CoreConfig) {
    this.config = parseCoreConfig(config);
    this.reset();
  }

  /** The state after reset: minWindows open, generation 0, neutral window salience, no items. */
  reset(): void {
    const { maxWindows, minWindows, capacity, weights } = this.config;
    const neutral = compositeSalience(NEUTRAL_SALIENCE, weights);
    this.#s = {
      open: Array.from({ length: maxWindows }, (_, s) => s < minWindows),
      gen: new Array<number>(maxWindows).fill(0),
      wsal: new Array<number>(maxWindows).fill(neutral),
      items: new Array<number>(maxWindows).fill(0),
      openCount: minWindows,
      store: new Array<StoreEntry | null>(capacity).fill(null),
      itemCount: 0,
      stampNext: 0,
      weights: [...weights] as unknown as Weights,
    };
  }

  /** A deep copy of the state, for tests and differential checks. */
  snapshot(): CoreState {
    const s = this.#s;
    return {
      ...s,
      open: [...s.open],
      gen: [...s.gen],
      wsal: [...s.wsal],
      items: [...s.items],
      store: s.store.map((e) => e && { ...e }),
      weights: [...s.weights] as unknown as Weights,
    };
  }

  /** Executes one command; returns the status byte followed by the response payload. */
  execute(op: number, payload: Uint8Array): Uint8Array {
    const name = OP_BY_CODE.get(op);
    if (name === undefined) return encodeResponse('info', err.badRequest(BadRequestReason.unknownOpcode));
    if (!requestLengths(name).includes(payload.length)) {
      return encodeResponse(name, err.badRequest(BadRequestReason.badLength));
    }
    return this.#run(name, payload);
  }

  #run<N extends OpName>(name: N, payload: Uint8Array): Uint8Array {
    const handler = HANDLERS[name] as Handler<N>;
    return encodeResponse(name, handler(this.#s, this.config, decodeRequest(name, payload)));
  }

  /** Typed form of execute: encodes the request, runs it, decodes the response. */
  call<N extends OpName>(op: N, request: OpRequests[N]): Response<N> {
    return decodeResponse(op, this.execute(OPS[op].code, encodeRequest(op, request)));
  }
}

type Handler<N extends OpName> = (s: CoreState, c: CoreConfig, req: OpRequests[N]) => Response<N>;

/** Window checks of docs/hardware.md step 3: the slot, or the refusal. */
function checkWindow(s: CoreState, c: CoreConfig, id: number): number | ErrorResponse {
  const slot = windowSlot(id);
  if (slot >= c.maxWindows || s.gen[slot] !== windowGeneration(id)) return err.windowNotFound();
  if (!s.open[slot]) return err.windowAlreadyClosed();
  return slot;
}

const idOf = (s: CoreState, slot: number) => windowId(slot, s.gen[slot]!);
const connectionZero = (sal: RawSalience | undefined) => sal !== undefined && sal[CONNECTION_INDEX] === 0;

function info(_s: CoreState, c: CoreConfig): Response<'info'> {
  const value: InfoPayload = {
    protocolVersion: PROTOCOL_VERSION,
    maxWindows: c.maxWindows,
    minWindows: c.minWindows,
    capacity: c.capacity,
    quota: c.quota,
    maxPage: MAX_PAGE,
    weights: c.weights as unknown as Weights,
    buildId: buildId(c),
  };
  return { status: 'ok', value };
}

/** Removes the entry at `addr`, keeping the counters in step. */
function invalidate(s: CoreState, addr: number): StoreEntry {
  const e = s.store[addr]!;
  s.store[addr] = null;
  s.items[e.slot]! -= 1;
  s.itemCount -= 1;
  return e;
}

/** Address of the lowest (sal, stamp) valid entry accepted by `pick`, or -1. */
function lowestEntry(s: CoreState, pick: (e: StoreEntry) => boolean): number {
  let best = -1;
  s.store.forEach((e, addr) => {
    if (e && pick(e) && (best < 0 || lower(e, s.store[best]!))) best = addr;
  });
  return best;
}

const HANDLERS: { [N in OpName]: Handler<N> } = {
  sync: info,
  info,

  open(s, c, req) {
    if (connectionZero(req.salience)) return err.salience(SalienceReason.ConnectionZero);
    if (s.openCount === c.maxWindows) return err.exceeded(c.maxWindows);
    const slot = s.open.indexOf(false);
    s.open[slot] = true;
    s.gen[slot] = (s.gen[slot]! + 1) % GEN_MOD;
    s.wsal[slot] = compositeSalience(req.salience ?? NEUTRAL_SALIENCE, s.weights);
    s.items[slot] = 0;
    s.openCount += 1;
    return { status: 'ok', value: { window: idOf(s, slot), salience: s.wsal[slot]! } };
  },

  close(s, c, req) {
    const slot = checkWindow(s, c, req.window);
    if (typeof slot !== 'number') return slot;
    if (s.openCount <= c.minWindows) return err.insufficient(c.minWindows);
    let freed = 0;
    s.store.forEach((e, addr) => {
      if (e?.slot === slot) {
        invalidate(s, addr);
        freed += 1;
      }
    });
    s.open[slot] = false;
    s.items[slot] = 0;
    s.openCount -= 1;
    return { status: 'ok', value: { freed } };
  },

  store(s, c, req) {
    if (connectionZero(req.salience)) return err.salience(SalienceReason.ConnectionZero);
    const slot = checkWindow(s, c, req.window);
    if (typeof slot !== 'number') return slot;
    if (req.salience) s.wsal[slot] = compositeSalience(req.salience, s.weights);
    const sal = s.wsal[slot]!;
    let victim = -1;
    if (s.items[slot]! >= c.quota) victim = lowestEntry(s, (e) => e.slot === slot);
    else if (s.itemCount === c.capacity) victim = lowestEntry(s, () => true);
    const evicted = victim >= 0 ? invalidate(s, victim) : undefined;
    const addr = s.store.indexOf(null);
    const stamp = s.stampNext;
    s.store[addr] = { slot, sal, stamp, handle: req.handle };
    s.stampNext = (stamp + 1) % STAMP_MOD;
    s.items[slot]! += 1;
    s.itemCount += 1;
    return {
      status: 'ok',
      value: {
        salience: sal,
        stamp,
        evicted: evicted ? 1 : 0,
        evictedWindow: evicted ? idOf(s, evicted.slot) : 0,
        evictedSalience: evicted?.sal ?? 0,
        evictedHandle: evicted?.handle ?? 0n,
      },
    };
  },

  recall(s, c, req) {
    if (req.limit < 1 || req.limit > MAX_PAGE || req.order > 1 || req.hasCursor > 1) {
      return err.badRequest(BadRequestReason.badArgument);
    }
    let slot = -1;
    if (req.window !== ALL_WINDOWS) {
      const checked = checkWindow(s, c, req.window);
      if (typeof checked !== 'number') return checked;
      slot = checked;
    }
    const cursor = req.hasCursor ? recallKey(req.order, req.cursorSalience, req.cursorStamp) : -1;
    const matches = s.store
      .filter((e): e is StoreEntry => e !== null && (slot < 0 || e.slot === slot) && e.sal >= req.minSalience)
      .map((e) => ({ e, key: recallKey(req.order, e.sal, e.stamp) }))
      .filter((m) => m.key > cursor)
      .sort((a, b) => a.key - b.key);
    const records: RecallRecord[] = matches
      .slice(0, req.limit)
      .map(({ e }) => ({ window: idOf(s, e.slot), salience: e.sal, stamp: e.stamp, handle: e.handle }));
    return {
      status: 'ok',
      value: { count: records.length, more: matches.length > records.length ? 1 : 0, records },
    };
  },

  list(s) {
    const records = s.open.flatMap((open, slot) =>
      open ? [{ window: idOf(s, slot), salience: s.wsal[slot]!, items: s.items[slot]! }] : [],
    );
    return { status: 'ok', value: { count: records.length, records } };
  },

  count(s) {
    return { status: 'ok', value: { open: s.openCount, items: s.itemCount } };
  },

  focus(s) {
    let best = -1;
    s.open.forEach((open, slot) => {
      if (open && (best < 0 || s.wsal[slot]! > s.wsal[best]!)) best = slot;
    });
    return { status: 'ok', value: { window: idOf(s, best), salience: s.wsal[best]! } };
  },

  setWeights(s, _c, req) {
    if (req.weights.reduce((a, b) => a + b, 0) !== WEIGHT_SUM) return err.salience(SalienceReason.WeightSum);
    s.weights = [...req.weights] as unknown as Weights;
    return { status: 'ok', value: {} };
  },

  decay(s, _c, req) {
    const fade = (x: number) => Math.max(0, x - req.step);
    for (const e of s.store) if (e) e.sal = fade(e.sal);
    s.open.forEach((open, slot) => {
      if (open) s.wsal[slot] = fade(s.wsal[slot]!);
    });
    const records: { window: number; salience: number; handle: bigint }[] = [];
    let remaining = 0;
    s.store.forEach((e, addr) => {
      if (!e || e.sal >= req.threshold) return;
      if (records.length === MAX_PAGE) {
        remaining += 1;
        return;
      }
      invalidate(s, addr);
      records.push({ window: idOf(s, e.slot), salience: e.sal, handle: e.handle });
    });
    return { status: 'ok', value: { count: records.length, remaining, records } };
  },
};
