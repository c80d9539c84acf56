/**
 * Differential driver for a board behind a pty (the RTL simulator or the gate-level
 * netlist): random command sequences (test/support/randomOps.ts) go to the board over its
 * pty as raw request frames, and
 * the same bytes go to the virtual board (host/model/linkEngine.ts over CoreModel); every
 * response byte (sync, LEN, SEQ, status, payload, CRC) must be the same.
 *
 * Requests go in batches of up to IN_FLIGHT back-to-back frames, as the device client
 * pipelines them; a SYNC goes alone, as the client sends it. Now and then a batch also
 * resends one of the last IN_FLIGHT requests (the board must replay its stored answer) or
 * sends one with a sequence number out of the window (BAD_SEQUENCE), so the link's replay
 * ring and sequence check are compared too. The first difference throws.
 */
import { IN_FLIGHT, MAX_REQUEST_PAYLOAD, OPS, STATUS, type CoreConfig } from '../../spec/index.js';
import { openSerialTransport, type Transport } from '../../host/device/transport.js';
import type { LinkEngine } from '../../host/model/linkEngine.js';
import { encodeFrame } from '../../host/protocol/frame.js';
import { RandomOps, rng, type RandomOp } from '../../bench/support/randomOps.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const opName = (code: number) => Object.entries(OPS).find(([, o]) => o.code === code)?.[0] ?? `0x${code.toString(16)}`;

/** Bytes from the board, read by count. */
export class Line {
  #buf: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #closed: Error | undefined;

  private constructor(readonly transport: Transport) {
    transport.onData((bytes) => {
      this.#buf = Buffer.concat([this.#buf, bytes]);
      this.#wake?.();
    });
    transport.onClose((e) => {
      this.#closed = e;
      this.#wake?.();
    });
  }

  static async open(path: string, baud: number): Promise<Line> {
    return new Line(await openSerialTransport(path, baud));
  }

  write(bytes: Uint8Array): void {
    this.transport.write(bytes);
  }

  /** Exactly n bytes, or what arrived within timeoutMs (fewer: the caller reports it). */
  async read(n: number, timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buf.length < n && !this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    const out = this.#buf.subarray(0, Math.min(n, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    return new Uint8Array(out);
  }

  /** Whatever is left unread after waiting ms (a board that sends too much shows here). */
  async leftover(ms: number): Promise<Uint8Array> {
    await new Promise((r) => setTimeout(r, ms));
    return this.read(this.#buf.length, 0);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

export interface DiffOptions {
  readonly seed: number;
  /** Random core commands to run (link extras come on top). */
  readonly ops: number;
  readonly config: CoreConfig;
  /** Probabilities, per batch, of a replayed frame and of a frame out of the sequence window. */
  readonly replay?: number;
  readonly badSequence?: number;
  /** How long one batch's answers may take (wall clock). */
  readonly batchTimeoutMs?: number;
}

export interface DiffResult {
  /** Random core commands sent and compared. */
  readonly ops: number;
  /** Frames sent in all: ops, SYNCs, replays, out-of-window frames. */
  readonly frames: number;
  readonly replays: number;
  readonly badSequences: number;
  readonly batches: number;
  readonly bytesToBoard: number;
  readonly bytesFromBoard: number;
  /** Random commands whose payload cannot be framed (over MAX_REQUEST_PAYLOAD), not sent. */
  readonly unframeable: number;
  /** op:status pairs seen (e.g. 'store:0'), plus store:evicted, decay:evicted, recall:more. */
  readonly seen: ReadonlySet<string>;
}

export class BoardMismatchError extends Error {
  override readonly name = 'BoardMismatchError';
}

interface Item {
  readonly frame: Uint8Array;
  readonly seq: number;
  readonly label: string;
  readonly op?: RandomOp;
  /** Index among the random ops, for failure reports. */
  readonly index?: number;
}

/**
 * Runs `ops` random commands through the board behind `line` and through `engine`, which
 * must hold the same state as the board (a fresh board and a fresh engine, or the two
 * after the same earlier runs). Throws BoardMismatchError on the first difference,
 * naming the seed and op index.
 */
export async function runRandomDiff(line: Line, engine: LinkEngine, o: DiffOptions): Promise<DiffResult> {
  const ops = new RandomOps(o.seed, o.config);
  const link = rng(o.seed ^ 0x9e3779b9);
  const timeoutMs = o.batchTimeoutMs ?? 20_000;
  const seen = new Set<string>();
  const history: string[] = [];
  /** The last IN_FLIGHT requests executed (the board's replay ring), SYNC excluded. */
  const recent: Item[] = [];
  let seq = Math.floor(link() * 256);
  let index = 0;
  let frames = 0;
  let replays = 0;
  let badSequences = 0;
  let batches = 0;
  let bytesToBoard = 0;
  let bytesFromBoard = 0;
  let unframeable = 0;
  let pending: RandomOp | undefined;

  const frameOf = (s: number, code: number, payload: Uint8Array) => encodeFrame('request', { seq: s, code, payload });
  const fresh = (op: RandomOp): Item => {
    const item = { frame: frameOf(seq, op.op, op.payload), seq, label: `#${index} ${op.kind}`, op, index };
    seq = (seq + 1) & 0xff;
    index += 1;
    return item;
  };

  const send = async (items: Item[]) => {
    batches += 1;
    const expected = items.map((it) => engine.receive(it.frame));
    const total = expected.reduce((n, e) => n + e.length, 0);
    const bytes = Buffer.concat(items.map((it) => it.frame));
    bytesToBoard += bytes.length;
    line.write(bytes);
    const actual = await line.read(total, timeoutMs);
    bytesFromBoard += actual.length;
    let at = 0;
    for (let k = 0; k < items.length; k++) {
      const it = items[k]!;
      const want = expected[k]!;
      const got = actual.subarray(at, at + want.length);
      at += want.length;
      const text = `${it.label}: op ${opName(it.frame[3]!)} seq ${it.seq} request ${hex(it.frame)} → ${hex(want)}`;
      if (hex(got) !== hex(want)) {
        throw new BoardMismatchError(
          [
            `gate level and model differ: seed ${o.seed}, ${it.index !== undefined ? `op index ${it.index}` : `after op index ${index - 1}`} (${it.label})`,
            `request  ${hex(it.frame)} (op ${opName(it.frame[3]!)}, seq ${it.seq})`,
            `model    ${hex(want)}`,
            `gates    ${hex(got)}${got.length < want.length ? ` (only ${got.length} of ${want.length} bytes within ${timeoutMs} ms)` : ''}`,
            `rest of the batch: ${items.slice(k + 1).map((x) => x.label).join(', ') || 'none'}`,
            'previous requests:',
            ...history.slice(-8),
          ].join('\n'),
        );
      }
      history.push(text);
      if (history.length > 16) history.shift();
      frames += 1;
      if (it.op) {
        // Status byte + payload, as CoreModel.execute returned them.
        const response = want.subarray(3, 4 + want[1]!);
        ops.observe(it.op, response);
        seen.add(`${opName(it.op.op)}:${response[0]}`);
        if (response[0] === STATUS.ok.code) {
          // The paths worth seeing at gate level: eviction on store and decay, paged recall.
          if (it.op.op === OPS.store.code && response[7] === 1) seen.add('store:evicted');
          if (it.op.op === OPS.decay.code && response[1]! > 0) seen.add('decay:evicted');
          if (it.op.op === OPS.recall.code && response[2] === 1) seen.add('recall:more');
        }
      }
    }
  };

  // A session starts with SYNC, as the device client's does.
  const sync = (): Item => {
    const item = { frame: frameOf(seq, OPS.sync.code, new Uint8Array()), seq, label: `sync before #${index}` };
    seq = (seq + 1) & 0xff;
    recent.length = 0;
    return item;
  };
  await send([sync()]);

  while (index < o.ops || pending) {
    const batch: Item[] = [];
    while (batch.length < IN_FLIGHT && (index < o.ops || pending)) {
      const op = pending ?? ops.next();
      pending = undefined;
      if (op.payload.length > MAX_REQUEST_PAYLOAD) {
        // RandomOps also makes over-long requests for the core alone; a frame cannot carry them.
        unframeable += 1;
        continue;
      }
      if (op.op === OPS.sync.code) {
        // SYNC goes alone (the device client never pipelines it).
        if (batch.length > 0) {
          pending = op;
          break;
        }
        // (A SYNC's answer is not stored for replay: recent starts over.)
        const item = { ...sync(), label: `#${index} ${op.kind}`, op, index };
        index += 1;
        batch.push(item);
        break;
      }
      const item = fresh(op);
      batch.push(item);
      recent.push(item);
      if (recent.length > IN_FLIGHT) recent.shift();
      if (batch.length < IN_FLIGHT && link() < (o.replay ?? 0.03)) {
        // A retransmission of one of the last IN_FLIGHT requests (this batch's included),
        // as go-back-N sends them: the board must send its stored answer again.
        const old = recent[Math.floor(link() * recent.length)]!;
        batch.push({ frame: old.frame, seq: old.seq, label: `replay of ${old.label}` });
        replays += 1;
      }
      if (batch.length < IN_FLIGHT && link() < (o.badSequence ?? 0.01)) {
        // Ahead of the expected number (seq), or too far behind for the replay ring.
        const s = (seq + 1 + IN_FLIGHT + Math.floor(link() * (250 - 2 * IN_FLIGHT))) & 0xff;
        batch.push({ frame: frameOf(s, OPS.count.code, new Uint8Array()), seq: s, label: 'out-of-window seq' });
        badSequences += 1;
      }
    }
    if (batch.length > 0) await send(batch);
  }

  const extra = await line.leftover(50);
  if (extra.length > 0) {
    throw new BoardMismatchError(`gate level sent ${extra.length} bytes the model did not (seed ${o.seed}, after op index ${index - 1}): ${hex(extra)}`);
  }
  return {
    ops: index,
    frames,
    replays,
    badSequences,
    batches,
    bytesToBoard,
    bytesFromBoard,
    unframeable,
    seen,
  };
}
