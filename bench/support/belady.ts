/**
 * The offline optimum (Belady's MIN) hit ratio of a key sequence for a cache of `capacity`
 * entries: the ceiling no online policy can beat. O(n log n): a backward pass computes each
 * access's next use (n for never); the simulation keeps the resident keys in a max-heap on
 * next use. On a miss with a full cache, the item used farthest in the future leaves; that may
 * be the newcomer itself (bypass), as an admission policy may also decline an entry, so this
 * bounds W-TinyLFU and the hybrid as well as the demand-paging policies.
 */
export function beladyHitRatio(keys: ArrayLike<number>, capacity: number): number {
  const n = keys.length;
  if (n === 0 || capacity <= 0) return 0;
  const nextUse = new Int32Array(n);
  const last = new Map<number, number>();
  for (let i = n - 1; i >= 0; i--) {
    const k = keys[i]!;
    nextUse[i] = last.get(k) ?? n;
    last.set(k, i);
  }
  // Resident keys: a max-heap of (next use, key). Entries are re-keyed on each hit: the heap
  // holds each resident key once, keyed by its current next use, with a position index.
  const heapNext = new Int32Array(capacity + 1);
  const heapKey = new Float64Array(capacity + 1);
  const pos = new Map<number, number>();
  let size = 0;
  const swap = (i: number, j: number): void => {
    const tn = heapNext[i]!;
    const tk = heapKey[i]!;
    heapNext[i] = heapNext[j]!;
    heapKey[i] = heapKey[j]!;
    heapNext[j] = tn;
    heapKey[j] = tk;
    pos.set(heapKey[i]!, i);
    pos.set(heapKey[j]!, j);
  };
  const up = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heapNext[p]! >= heapNext[i]!) break;
      swap(i, p);
      i = p;
    }
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      let c = l;
      if (l + 1 < size && heapNext[l + 1]! > heapNext[l]!) c = l + 1;
      if (heapNext[c]! <= heapNext[i]!) break;
      swap(i, c);
      i = c;
    }
  };
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    const nu = nextUse[i]!;
    const at = pos.get(k);
    if (at !== undefined) {
      hits++;
      // Next use moves later: sift up in a max-heap.
      heapNext[at] = nu;
      up(at);
      continue;
    }
    if (nu === n) continue; // never used again: caching it cannot help
    if (size < capacity) {
      heapNext[size] = nu;
      heapKey[size] = k;
      pos.set(k, size);
      up(size++);
      continue;
    }
    // Full: the farthest next use among residents and the newcomer leaves.
    if (heapNext[0]! <= nu) continue; // the newcomer is the farthest: bypass
    pos.delete(heapKey[0]!);
    heapNext[0] = nu;
    heapKey[0] = k;
    pos.set(k, 0);
    down(0);
  }
  return hits / n;
}
