/**
 * The virtual board: docs/protocol.md's link rules over a CoreModel. Request bytes go in,
 * response bytes come out, with optional seeded faults on either direction.
 *
 * Timing is abstracted: a chunk passed to receive() arrives while the core is busy, so its
 * good frames are queued (IN_FLIGHT at most, the rest dropped unanswered) and executed
 * after it; idle() is the line going quiet, which drops a partial frame (receiver rule 4).
 */
import {
  IN_FLIGHT,
  OPS,
  STATUS,
  parseCoreConfig,
  type CoreConfig,
  type CoreConfigInput,
} from '../../spec/index.js';
import { FrameParser, encodeResponseFrame, type Frame, type ParserStats } from '../protocol/frame.js';
import { CoreModel } from './core.js';
import { LineFaults, type FaultRates, type FaultStats } from './faults.js';

export interface LinkEngineOptions {
  /** Core config (validated); ignored when `core` is given. */
  config?: CoreConfigInput | CoreConfig;
  /** The core to run; a fresh one from `config` by default. */
  core?: CoreModel;
  /** Faults on the bytes going to the board. */
  toBoard?: FaultRates;
  /** Faults on the bytes coming from the board. */
  toHost?: FaultRates;
  /** Seed of both fault streams (they use seed and seed + 1). */
  seed?: number;
}

export interface LinkEngineStats {
  /** Requests executed by the core (SYNC included). */
  executed: number;
  /** Requests answered from the replay ring. */
  replayed: number;
  badSequence: number;
  syncs: number;
  /** Good frames dropped because the queue was full. */
  queueDrops: number;
  receiver: ParserStats;
  toBoard: FaultStats;
  toHost: FaultStats;
}

interface Stored {
  seq: number;
  frame: Uint8Array;
}

const SYNC_OP = OPS.sync.code;

export class LinkEngine {
  readonly core: CoreModel;
  /** The next sequence number the board will execute. */
  expected = 0;
  readonly #receiver = new FrameParser('request', { rescan: false });
  readonly #ring: (Stored | undefined)[] = new Array(IN_FLIGHT).fill(undefined);
  readonly #toBoard: LineFaults;
  readonly #toHost: LineFaults;
  #executed = 0;
  #replayed = 0;
  #badSequence = 0;
  #syncs = 0;
  #queueDrops = 0;
  /** Bytes put on the line towards the host ahead of the next answer (noise, tests). */
  #noise: Uint8Array[] = [];

  constructor(options: LinkEngineOptions = {}) {
    this.core = options.core ?? new CoreModel(parseCoreConfig(options.config ?? {}));
    const seed = options.seed ?? 1;
    this.#toBoard = new LineFaults(options.toBoard ?? {}, seed);
    this.#toHost = new LineFaults(options.toHost ?? {}, seed + 1);
  }

  get stats(): LinkEngineStats {
    return {
      executed: this.#executed,
      replayed: this.#replayed,
      badSequence: this.#badSequence,
      syncs: this.#syncs,
      queueDrops: this.#queueDrops,
      receiver: { ...this.#receiver.stats },
      toBoard: { ...this.#toBoard.stats },
      toHost: { ...this.#toHost.stats },
    };
  }

  /** Bytes from the host; returns the bytes the board sends back. */
  receive(bytes: Uint8Array): Uint8Array {
    return this.#answer(this.#receiver.push(this.#toBoard.apply(bytes)));
  }

  /** The line went idle: a partial frame is dropped. */
  idle(): Uint8Array {
    return this.#answer(this.#receiver.idle());
  }

  /** Puts bytes on the line towards the host before the next answer, as line noise would. */
  emitRaw(bytes: Uint8Array): void {
    this.#noise.push(bytes.slice());
  }

  /** Power cycle: the core and the link state start over (expected = 0, nothing stored). */
  reset(): void {
    this.core.reset();
    this.expected = 0;
    this.#ring.fill(undefined);
    this.#receiver.idle();
  }

  #answer(frames: Frame[]): Uint8Array {
    const queued = frames.slice(0, IN_FLIGHT);
    this.#queueDrops += frames.length - queued.length;
    const out = [...this.#noise.splice(0), ...queued.map((f) => this.#handle(f))];
    return this.#toHost.apply(Buffer.concat(out));
  }

  /** One good frame: the sequence rules of docs/protocol.md. */
  #handle({ seq, code, payload }: Frame): Uint8Array {
    if (code === SYNC_OP) {
      this.#syncs += 1;
      this.#executed += 1;
      this.expected = (seq + 1) & 0xff;
      this.#ring.fill(undefined);
      return encodeResponseFrame(seq, this.core.execute(code, payload));
    }
    if (seq === this.expected) {
      this.#executed += 1;
      const frame = encodeResponseFrame(seq, this.core.execute(code, payload));
      this.#ring[seq % IN_FLIGHT] = { seq, frame };
      this.expected = (seq + 1) & 0xff;
      return frame;
    }
    const back = (this.expected - seq) & 0xff;
    const stored = this.#ring[seq % IN_FLIGHT];
    if (back >= 1 && back <= IN_FLIGHT && stored?.seq === seq) {
      this.#replayed += 1;
      return stored.frame;
    }
    this.#badSequence += 1;
    return encodeResponseFrame(seq, Uint8Array.of(STATUS.badSequence.code, this.expected));
  }
}
