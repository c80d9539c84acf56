/**
 * The default size estimator: approximate bytes a key or value keeps alive on V8's heap
 * (64-bit, pointer compression off, i.e. the larger of Node's layouts), so byte budgets err
 * on the safe side. Exact sizes are not knowable from JavaScript; callers with better
 * knowledge pass `sizeOf`.
 *
 * Cost: O(1) for primitives, typed arrays and buffers; a bounded walk (at most
 * {@link MAX_VISITS} objects, cycles counted once) for arrays, plain objects, Maps and Sets.
 * Past the bound, the remaining objects are counted at {@link OBJECT_BYTES} each.
 */

/** Header of a heap object (map pointer, properties, elements). */
export const OBJECT_BYTES = 24;
/** One field or array slot: a tagged pointer. */
export const SLOT_BYTES = 8;
/** Header of a string; characters are counted at 2 bytes (two-byte strings; one-byte ones are smaller). */
export const STRING_HEADER_BYTES = 16;
/** Objects visited by one estimate, at most. */
export const MAX_VISITS = 4096;

/** Approximate retained bytes of `value` (see the module comment). */
export function estimateBytes(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return 8;
    case 'string':
      return STRING_HEADER_BYTES + 2 * value.length;
    case 'boolean':
    case 'undefined':
      return SLOT_BYTES;
    case 'bigint':
      return 16 + 8 * Math.ceil(value.toString(16).length / 16);
    case 'symbol':
      return 32;
    case 'function':
      return 64;
    default:
      if (value === null) return SLOT_BYTES;
      return estimateObject(value as object);
  }
}

function estimateObject(root: object): number {
  if (ArrayBuffer.isView(root)) return OBJECT_BYTES + 40 + root.byteLength;
  if (root instanceof ArrayBuffer) return OBJECT_BYTES + 16 + root.byteLength;
  let total = 0;
  let visits = 0;
  const seen = new Set<object>();
  const stack: object[] = [root];
  const add = (v: unknown): void => {
    if (typeof v === 'object' && v !== null) {
      total += SLOT_BYTES;
      if (!seen.has(v)) {
        seen.add(v);
        stack.push(v);
      }
    } else total += primitiveOrLeaf(v);
  };
  seen.add(root);
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (++visits > MAX_VISITS) {
      total += OBJECT_BYTES * (stack.length + 1);
      break;
    }
    if (ArrayBuffer.isView(o)) total += OBJECT_BYTES + 40 + o.byteLength;
    else if (o instanceof ArrayBuffer) total += OBJECT_BYTES + 16 + o.byteLength;
    else if (o instanceof Date) total += OBJECT_BYTES + 8;
    else if (o instanceof RegExp) total += OBJECT_BYTES + 32 + 2 * o.source.length;
    else if (Array.isArray(o)) {
      total += OBJECT_BYTES + 16;
      for (let i = 0; i < o.length; i++) add(o[i]);
    } else if (o instanceof Map) {
      total += OBJECT_BYTES + 32;
      for (const [k, v] of o) {
        total += SLOT_BYTES; // the hash table's chain slot
        add(k);
        add(v);
      }
    } else if (o instanceof Set) {
      total += OBJECT_BYTES + 32;
      for (const k of o) {
        total += SLOT_BYTES;
        add(k);
      }
    } else {
      total += OBJECT_BYTES;
      for (const k in o) {
        if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
        // Property names live in shared maps (hidden classes); count the slot, not the name.
        add((o as Record<string, unknown>)[k]);
      }
    }
  }
  return total;
}

/** A nested primitive: its size beyond the slot that holds it (a small integer or boolean is in the slot). */
function primitiveOrLeaf(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < 2 ** 30 ? SLOT_BYTES : SLOT_BYTES + 16;
    case 'string':
      return SLOT_BYTES + STRING_HEADER_BYTES + 2 * v.length;
    default:
      return SLOT_BYTES + (typeof v === 'bigint' || typeof v === 'symbol' || typeof v === 'function' ? estimateBytes(v) : 0);
  }
}

/** The default size of an entry: its key plus its value. */
export function defaultEntrySize(value: unknown, key: unknown): number {
  return estimateBytes(key) + estimateBytes(value);
}
