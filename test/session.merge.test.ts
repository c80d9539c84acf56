import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELETE, MergeError, deepMerge, toJson, type JsonObject } from '../host/session/merge.js';

const key = fc.constantFrom('a', 'b', 'c', 'd');
const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
const obj: fc.Arbitrary<JsonObject> = fc.letrec((tie) => ({
  node: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, leaf, tie('node')), { maxKeys: 4 }),
}))
  .node as fc.Arbitrary<JsonObject>;

describe('deepMerge', () => {
  it('merges objects recursively, replaces everything else, deletes with the marker', () => {
    const base = { a: { x: 1, y: [1, 2] }, b: 'keep', c: { z: true } };
    const out = deepMerge(base, { a: { y: [9], w: null }, c: DELETE, d: { e: 1 } });
    expect(out).toEqual({ a: { x: 1, y: [9], w: null }, b: 'keep', d: { e: 1 } });
    expect(base).toEqual({ a: { x: 1, y: [1, 2] }, b: 'keep', c: { z: true } }); // not mutated
  });

  it('an empty patch is the identity; patching with data itself is idempotent', () => {
    fc.assert(
      fc.property(obj, obj, (a, b) => {
        expect(deepMerge(a, {})).toEqual(a);
        const once = deepMerge(a, b);
        expect(deepMerge(once, b)).toEqual(once);
        // Every top-level key of the patch ends up as patched (objects merged, others replaced).
        for (const [k, v] of Object.entries(b)) {
          if (v === null || typeof v !== 'object' || Array.isArray(v)) expect(once[k]).toEqual(v);
        }
      }),
    );
  });

  it('refuses reserved keys, unknown markers, non-JSON values and deep nesting', () => {
    expect(() => deepMerge({}, JSON.parse('{"__proto__": {"x": 1}}'))).toThrow(MergeError);
    expect(() => deepMerge({}, { $inc: 1 })).toThrow(MergeError);
    expect(() => deepMerge({}, { a: () => 1 })).toThrow(MergeError);
    expect(() => deepMerge({}, { a: new Date() })).toThrow(MergeError);
    expect(() => deepMerge({}, { a: Infinity })).toThrow(MergeError);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(() => deepMerge({}, deep)).toThrow(MergeError);
    expect(() => toJson({ a: { $delete: true } })).toThrow(MergeError);
  });
});
