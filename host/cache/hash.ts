/**
 * 32-bit hashes of cache keys, for the frequency sketch (W-TinyLFU, hybrid). Equal keys
 * (by SameValueZero, as Map compares them) hash alike; objects hash by identity.
 */

/** Final avalanche of murmur3: spreads every input bit over the output. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
let nextIdentity = 1;
const identities = new WeakMap<object, number>();

function hashString(s: string): number {
  // FNV-1a over UTF-16 code units, then mixed.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** A 32-bit hash of any Map key. */
export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'number':
      if ((key | 0) === key) return mix32(key);
      // -0 and 0 are the same Map key; so are all NaNs.
      if (key === 0) return mix32(0);
      if (key !== key) return mix32(0x7ff80000);
      f64[0] = key;
      return mix32((u32[0]! ^ Math.imul(u32[1]!, 0x9e3779b1)) | 0);
    case 'string':
      return hashString(key);
    case 'bigint':
      return hashString(key.toString(36)) ^ 0x5bd1e995;
    case 'boolean':
      return key ? 0x1b873593 : 0x2f5b1c3d;
    case 'undefined':
      return 0x3c6ef372;
    case 'symbol':
      // Hashed by description (no registry that would keep symbols alive); distinct symbols
      // with one description collide, which a frequency sketch tolerates.
      return hashString(key.description ?? '') ^ 0x68e31da4;
    default: {
      if (key === null) return 0x7b7d159c;
      const o = key as object;
      let id = identities.get(o);
      if (id === undefined) identities.set(o, (id = nextIdentity++));
      return mix32(id);
    }
  }
}
