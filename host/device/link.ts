/**
 * Host side of the link (docs/protocol.md): sequence numbers, up to IN_FLIGHT requests
 * pipelined, a timeout on the oldest unanswered request, go-back-N retransmission with the
 * same sequence numbers, in-order completion, and resync over garbage. Requests resolve
 * with the response's status byte and payload, exactly as the core emitted them.
 */
import { IN_FLIGHT, OPS, OP_BY_CODE, type OpName } from '../../spec/index.js';
import { decodeResponse } from '../protocol/messages.js';
import { FrameParser, encodeFrame, type Frame } from '../protocol/frame.js';
import type { Transport } from './transport.js';
import { LinkProtocolError, LinkTimeoutError, PortClosedError } from './errors.js';

export interface LinkOptions {
  /** Time the oldest unanswered request may take before everything unanswered is resent. */
  timeoutMs: number;
  /** Transmissions of one request without any progress before the link gives up. */
  maxAttempts: number;
  /** Requests kept unanswered at once (1..IN_FLIGHT). */
  inFlight?: number;
  /** Sequence number of the first SYNC; random by default, so stale answers rarely match. */
  firstSeq?: number;
  /** Called for every completed request, in sequence order (differential and fault tests). */
  onComplete?: (event: CompletedRequest) => void;
}

export interface CompletedRequest {
  readonly seq: number;
  readonly code: number;
  readonly payload: Uint8Array;
  /** Status byte and payload. */
  readonly response: Uint8Array;
  readonly attempts: number;
}

export interface LatencyStats {
  count: number;
  meanMs: number;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LinkStats {
  /** Requests completed (answered), SYNC included. */
  requests: number;
  /** Frames written, first transmissions and retransmissions. */
  framesSent: number;
  /** Frames written again (go-back-N). */
  retransmissions: number;
  timeouts: number;
  goBacks: number;
  /** BadSequence answers received. */
  badSequence: number;
  /** Good frames that answered nothing unanswered (duplicates, stale answers). */
  duplicates: number;
  /** Frames dropped for a CRC mismatch, a LEN above the bound, or a payload that fits no layout. */
  badFrames: number;
  crcErrors: number;
  /** Garbage bytes skipped while hunting for a sync byte. */
  skippedBytes: number;
  latency: LatencyStats;
}

interface Entry {
  seq: number;
  code: number;
  op: OpName | undefined;
  payload: Uint8Array;
  frame: Uint8Array;
  firstSent: number;
  attempts: number;
  response?: Uint8Array;
  resolve(bytes: Uint8Array): void;
  reject(error: Error): void;
}

interface Waiting {
  code: number;
  payload: Uint8Array;
  resolve(bytes: Uint8Array): void;
  reject(error: Error): void;
}

const SYNC = OPS.sync.code;
const LATENCY_WINDOW = 1024;

export class LinkClient {
  readonly #transport: Transport;
  readonly #options: LinkOptions;
  readonly #inFlight: number;
  readonly #parser = new FrameParser('response');
  /** Sent, not yet completed, in sequence order. */
  #sent: Entry[] = [];
  #waiting: Waiting[] = [];
  #nextSeq: number;
  /** False until a SYNC has been answered, and again after the link lost its state. */
  #synced = false;
  #closedError: Error | undefined;
  #timer: number | undefined;
  /** Answers accepted so far; go-back-N happens at most once per progress point. */
  #accepted = 0;
  #goBackAt = -1;
  #latencies: number[] = [];
  #stats = { requests: 0, framesSent: 0, retransmissions: 0, timeouts: 0, goBacks: 0, badSequence: 0, duplicates: 0, malformed: 0, latencySum: 0, latencyMax: 0 };

  constructor(transport: Transport, options: LinkOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#inFlight = Math.max(1, Math.min(IN_FLIGHT, options.inFlight ?? IN_FLIGHT));
    this.#nextSeq = (options.firstSeq ?? Math.floor(Math.random() * 256)) & 0xff;
    transport.onData((bytes) => this.#onFrames(this.#parser.push(bytes)));
    transport.onClose((error) => this.#fail(error, true));
  }

  get synced(): boolean {
    return this.#synced;
  }

  get stats(): LinkStats {
    const s = this.#stats;
    const p = this.#parser.stats;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      requests: s.requests,
      framesSent: s.framesSent,
      retransmissions: s.retransmissions,
      timeouts: s.timeouts,
      goBacks: s.goBacks,
      badSequence: s.badSequence,
      duplicates: s.duplicates,
      badFrames: p.badCrc + p.badLength + s.malformed,
      crcErrors: p.badCrc,
      skippedBytes: p.skipped,
      latency: {
        count: s.requests,
        meanMs: s.requests ? s.latencySum / s.requests : 0,
        maxMs: s.latencyMax,
        p50Ms: pct(0.5),
        p99Ms: pct(0.99),
      },
    };
  }

  /** SYNC: resets the device's sequence numbers; resolves with the INFO response bytes. */
  sync(): Promise<Uint8Array> {
    return this.#enqueue(SYNC, new Uint8Array(0));
  }

  /** One request; resolves with status byte + payload once every earlier request completed. */
  request(op: OpName, payload: Uint8Array): Promise<Uint8Array> {
    return this.#enqueue(OPS[op].code, payload);
  }

  /** A request by raw opcode (unknown opcodes included): for diagnostics and tests. */
  requestRaw(code: number, payload: Uint8Array): Promise<Uint8Array> {
    return this.#enqueue(code & 0xff, payload);
  }

  /** Writes bytes straight to the line, bypassing framing (tests: garbage on the line). */
  writeRaw(bytes: Uint8Array): void {
    this.#transport.write(bytes);
  }

  async close(): Promise<void> {
    this.#fail(new PortClosedError('the device was closed'), true);
    await this.#transport.close();
  }

  #enqueue(code: number, payload: Uint8Array): Promise<Uint8Array> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ code, payload: payload.slice(), resolve, reject });
      this.#pump();
    });
  }

  /** Sends waiting requests while there is room; a SYNC goes alone, and only SYNC goes unsynced. */
  #pump(): void {
    while (this.#waiting.length > 0 && this.#sent.length < this.#inFlight) {
      const next = this.#waiting[0]!;
      const isSync = next.code === SYNC;
      if (isSync && this.#sent.length > 0) return;
      if (!isSync && (!this.#synced || this.#sent.some((e) => e.code === SYNC))) {
        if (!this.#synced && this.#sent.length === 0) this.#autoSync();
        return;
      }
      this.#waiting.shift();
      const seq = this.#nextSeq;
      this.#nextSeq = (seq + 1) & 0xff;
      const entry: Entry = {
        seq,
        code: next.code,
        op: OP_BY_CODE.get(next.code),
        payload: next.payload,
        frame: encodeFrame('request', { seq, code: next.code, payload: next.payload }),
        firstSent: this.#transport.clock.now(),
        attempts: 1,
        resolve: next.resolve,
        reject: next.reject,
      };
      this.#sent.push(entry);
      this.#write([entry]);
      if (this.#sent.length === 1) this.#armTimer();
    }
  }

  /** After the link lost its state, the next request first re-synchronises (its answer is discarded). */
  #autoSync(): void {
    this.#waiting.unshift({ code: SYNC, payload: new Uint8Array(0), resolve: () => {}, reject: () => {} });
    this.#nextSeq = Math.floor(Math.random() * 256);
    this.#pump();
  }

  #write(entries: Entry[]): void {
    this.#stats.framesSent += entries.length;
    this.#transport.write(Buffer.concat(entries.map((e) => e.frame)));
  }

  #armTimer(): void {
    const clock = this.#transport.clock;
    if (this.#timer !== undefined) clock.clearTimer(this.#timer);
    this.#timer = this.#sent.length > 0 ? clock.setTimer(this.#options.timeoutMs, () => this.#onTimeout()) : undefined;
  }

  #onTimeout(): void {
    this.#timer = undefined;
    this.#stats.timeouts += 1;
    // A partial frame may be holding good frames hostage behind a stray sync byte.
    this.#onFrames(this.#parser.idle());
    if (this.#timer !== undefined) return; // they completed the oldest: its successor got a fresh timer
    const oldest = this.#sent.find((e) => !e.response);
    if (!oldest) return this.#armTimer();
    if (oldest.attempts >= this.#options.maxAttempts) {
      return this.#fail(new LinkTimeoutError(oldest.op ?? 'unknown', oldest.attempts, this.#options.timeoutMs), false);
    }
    this.#goBack();
  }

  /** Resends every unanswered request, in order, with its sequence number. */
  #goBack(): void {
    const unanswered = this.#sent.filter((e) => !e.response);
    for (const e of unanswered) e.attempts += 1;
    this.#stats.goBacks += 1;
    this.#stats.retransmissions += unanswered.length;
    this.#goBackAt = this.#accepted;
    this.#write(unanswered);
    this.#armTimer();
  }

  #onFrames(frames: Frame[]): void {
    for (const frame of frames) this.#onFrame(frame);
    this.#complete();
  }

  #onFrame(frame: Frame): void {
    const entry = this.#sent.find((e) => e.seq === frame.seq && !e.response);
    if (!entry) {
      this.#stats.duplicates += 1;
      return;
    }
    const bytes = new Uint8Array(1 + frame.payload.length);
    bytes[0] = frame.code;
    bytes.set(frame.payload, 1);
    const response = this.#validate(entry, bytes);
    if (!response) return;
    if (response.status === 'badSequence') return this.#onBadSequence(entry, response.expected);
    entry.response = bytes;
    this.#accepted += 1;
  }

  /** A response must decode for its op; anything else is a corrupted frame that slipped past the CRC. */
  #validate(entry: Entry, bytes: Uint8Array) {
    try {
      if (entry.op) return decodeResponse(entry.op, bytes);
      const r = decodeResponse('setWeights', bytes);
      if (r.status !== 'ok') return r; // unknown opcode: only an error status makes sense
    } catch {
      // fall through
    }
    this.#stats.malformed += 1;
    return undefined;
  }

  #onBadSequence(entry: Entry, expected: number): void {
    this.#stats.badSequence += 1;
    const oldest = this.#sent.find((e) => !e.response)!;
    const ahead = (expected - oldest.seq) & 0xff;
    const behindEntry = (entry.seq - oldest.seq) & 0xff;
    if (ahead >= behindEntry) {
      // The device expects a sequence number we never sent or already completed: it lost its state.
      return this.#fail(new LinkProtocolError(`device expects sequence ${expected}; it was reset or resynchronised by someone else`), false);
    }
    if (this.#goBackAt !== this.#accepted) this.#goBack();
  }

  /** Completes answered requests in sequence order, so effects are seen in the order they happened. */
  #complete(): void {
    let progressed = false;
    while (this.#sent[0]?.response) {
      const e = this.#sent.shift()!;
      progressed = true;
      const latency = this.#transport.clock.now() - e.firstSent;
      this.#stats.requests += 1;
      this.#stats.latencySum += latency;
      this.#stats.latencyMax = Math.max(this.#stats.latencyMax, latency);
      this.#latencies.push(latency);
      if (this.#latencies.length > LATENCY_WINDOW) this.#latencies.shift();
      if (e.code === SYNC) this.#synced = true;
      this.#options.onComplete?.({ seq: e.seq, code: e.code, payload: e.payload, response: e.response!, attempts: e.attempts });
      e.resolve(e.response!);
    }
    if (progressed) {
      for (const e of this.#sent) e.attempts = Math.min(e.attempts, 1);
      this.#armTimer();
      this.#pump();
    }
  }

  /**
   * Rejects everything outstanding (sent and waiting: with a dead line they would only wait
   * forever). Unless the port closed, the next request starts with a SYNC.
   */
  #fail(error: Error, closed: boolean): void {
    if (this.#closedError) return;
    if (closed) this.#closedError = error;
    if (this.#timer !== undefined) this.#transport.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    const outstanding = [...this.#sent, ...this.#waiting];
    this.#sent = [];
    this.#waiting = [];
    this.#synced = false;
    for (const e of outstanding) e.reject(error);
  }
}
