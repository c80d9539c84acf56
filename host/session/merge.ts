/**
 * Merge semantics of state updates: a deep merge of a JSON patch into JSON data.
 *
 * - A key whose patch value is the marker `{ "$delete": true }` is removed (absent keys are fine).
 * - A plain object merges into a plain object key by key, recursively.
 * - Anything else replaces: arrays (wholesale, never element-wise), strings, numbers,
 *   booleans, `null` (a value, not a delete), and an object patched onto a non-object.
 * - Keys `__proto__`, `constructor`, `prototype` and any other key starting with `$` are
 *   refused, as are non-JSON values (undefined, functions, NaN, Infinity, class instances)
 *   and nesting deeper than 32 levels.
 * Inputs are never mutated; the result shares no objects with the patch.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const DELETE = Object.freeze({ $delete: true as const });
export const MAX_DEPTH = 32;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export class MergeError extends Error {
  override readonly name = 'MergeError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path || '(root)'}: ${message}`);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function isDeleteMarker(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).length === 1 && v.$delete === true;
}

/** A checked deep copy of a JSON value (throws MergeError naming the first bad path). */
export function toJson(v: unknown, path = '', depth = 0): Json {
  if (depth > MAX_DEPTH) throw new MergeError(path, `nested deeper than ${MAX_DEPTH}`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new MergeError(path, 'numbers must be finite');
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => toJson(x, `${path}[${i}]`, depth + 1));
  if (isPlainObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      checkKey(k, path);
      if (isDeleteMarker(x)) throw new MergeError(`${path}.${k}`, '$delete is only meaningful in a patch');
      out[k] = toJson(x, path ? `${path}.${k}` : k, depth + 1);
    }
    return out;
  }
  throw new MergeError(path, `not a JSON value (${typeof v})`);
}

function checkKey(k: string, path: string): void {
  if (FORBIDDEN.has(k)) throw new MergeError(path ? `${path}.${k}` : k, 'reserved key');
  if (k.startsWith('$')) throw new MergeError(path ? `${path}.${k}` : k, "keys starting with '$' are reserved for markers");
}

/** `base` with `patch` merged in, by the rules above. */
export function deepMerge(base: JsonObject, patch: unknown, path = '', depth = 0): JsonObject {
  if (!isPlainObject(patch)) throw new MergeError(path, 'a patch must be a plain object');
  if (depth > MAX_DEPTH) throw new MergeError(path, `nested deeper than ${MAX_DEPTH}`);
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    checkKey(k, path);
    const p = path ? `${path}.${k}` : k;
    if (isDeleteMarker(v)) {
      delete out[k];
    } else if (isPlainObject(v) && isPlainObject(out[k])) {
      out[k] = deepMerge(out[k] as JsonObject, v, p, depth + 1);
    } else if (isPlainObject(v)) {
      out[k] = deepMerge({}, v, p, depth + 1); // strips nested delete markers
    } else {
      out[k] = toJson(v, p, depth + 1);
    }
  }
  return out;
}

/** Freezes a JSON value in place, recursively; returns it. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}
