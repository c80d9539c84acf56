/** Seeded line faults for the virtual board: each byte is dropped, or has one bit flipped, at given rates. */
import { seededRandom } from '../util/random.js';

/** The fault stream's PRNG, under the name the device tests import. */
export { seededRandom as prng };

export interface FaultRates {
  /** Probability that a byte is lost. */
  drop?: number;
  /** Probability that a (kept) byte has one random bit inverted. */
  flip?: number;
}

export interface FaultStats {
  bytes: number;
  dropped: number;
  flipped: number;
}

export class LineFaults {
  readonly stats: FaultStats = { bytes: 0, dropped: 0, flipped: 0 };
  readonly #drop: number;
  readonly #flip: number;
  readonly #random: () => number;

  constructor(rates: FaultRates, seed: number) {
    this.#drop = rates.drop ?? 0;
    this.#flip = rates.flip ?? 0;
    this.#random = seededRandom(seed);
  }

  get active(): boolean {
    return this.#drop > 0 || this.#flip > 0;
  }

  apply(bytes: Uint8Array): Uint8Array {
    if (!this.active) return bytes;
    const out: number[] = [];
    for (const b of bytes) {
      this.stats.bytes += 1;
      if (this.#random() < this.#drop) {
        this.stats.dropped += 1;
        continue;
      }
      if (this.#random() < this.#flip) {
        this.stats.flipped += 1;
        out.push(b ^ (1 << Math.floor(this.#random() * 8)));
      } else out.push(b);
    }
    return Uint8Array.from(out);
  }
}
