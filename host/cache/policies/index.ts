import { CacheOptionsError, formatIssues } from '../errors.js';
import { policyConfigSchema, type PolicyConfigInput } from '../options.js';
import { randomSeed } from '../../util/random.js';
import { HybridPolicy } from './hybrid.js';
import { LfuPolicy } from './lfu.js';
import { LruPolicy } from './lru.js';
import type { EvictionPolicy, PolicyName } from './policy.js';
import { RandomPolicy } from './random.js';
import { UtilityPolicy } from './utility.js';
import { WTinyLfuPolicy } from './wtinylfu.js';

export type { EvictionPolicy, PolicyName } from './policy.js';
export { POLICY_NAMES } from './policy.js';
export { HybridPolicy, LfuPolicy, LruPolicy, RandomPolicy, UtilityPolicy, WTinyLfuPolicy };

/** Builds a policy from its name or configuration (validated), or passes a policy object through. */
export function createPolicy(spec: PolicyName | PolicyConfigInput | EvictionPolicy): EvictionPolicy {
  if (typeof spec === 'object' && 'victim' in spec) return spec;
  const r = policyConfigSchema.safeParse(typeof spec === 'string' ? { name: spec } : spec);
  if (!r.success) throw new CacheOptionsError('policy', formatIssues(r.error.issues));
  const c = r.data;
  switch (c.name) {
    case 'lru':
      return new LruPolicy();
    case 'lfu':
      return new LfuPolicy();
    case 'utility':
      return new UtilityPolicy();
    case 'random':
      return new RandomPolicy(c.seed ?? randomSeed());
    case 'wtinylfu':
      return new WTinyLfuPolicy({ windowFraction: c.windowFraction, protectedFraction: c.protectedFraction });
    case 'hybrid':
      return new HybridPolicy({
        weights: c.weights,
        ageHorizon: c.ageHorizon,
        admission: c.admission,
        adaptive: c.adaptive,
        windowFraction: c.windowFraction,
        protectedFraction: c.protectedFraction,
      });
  }
}
