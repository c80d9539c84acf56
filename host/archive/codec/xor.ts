/**
 * 64-bit XOR helpers on hi:lo words, shared by the Gorilla, Chimp and XOR-AC float codecs.
 */

export function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

export function ctz32(x: number): number {
  if (x === 0) return 32;
  return 31 - Math.clz32(x & -x);
}

export function ctz64(hi: number, lo: number): number {
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
}

/** Bits [tz, 64 − lz) of hi:lo shifted down to bit 0, as hi:lo words in `out`. */
export function extract(hi: number, lo: number, tz: number, out: Uint32Array): void {
  if (tz >= 32) {
    out[0] = 0;
    out[1] = hi >>> (tz - 32);
  } else if (tz === 0) {
    out[0] = hi;
    out[1] = lo;
  } else {
    out[0] = hi >>> tz;
    out[1] = ((lo >>> tz) | (hi << (32 - tz))) >>> 0;
  }
}

/** Inverse of extract: hi:lo of `m` (in words mh:ml) shifted up by `tz`. */
export function place(mh: number, ml: number, tz: number, out: Uint32Array): void {
  if (tz >= 32) {
    out[0] = (ml << (tz - 32)) >>> 0;
    out[1] = 0;
  } else if (tz === 0) {
    out[0] = mh;
    out[1] = ml;
  } else {
    out[0] = ((mh << tz) | (ml >>> (32 - tz))) >>> 0;
    out[1] = (ml << tz) >>> 0;
  }
}
