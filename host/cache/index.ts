/** The host's caches: size-bounded caches with pluggable eviction, and one memory budget for all. */
export { IntelligentCache, type CacheStats } from './cache.js';
export {
  type CacheOptions,
  type SetOptions,
  type DisposeReason,
  type PolicyConfig,
  type PolicyConfigInput,
  DISPOSE_REASONS,
  cacheOptionsSchema,
  policyConfigSchema,
} from './options.js';
export { CacheError, CacheInputError, CacheOptionsError, type CacheInputProblem } from './errors.js';
export {
  createPolicy,
  POLICY_NAMES,
  type EvictionPolicy,
  type PolicyName,
  HybridPolicy,
  LfuPolicy,
  LruPolicy,
  RandomPolicy,
  UtilityPolicy,
  WTinyLfuPolicy,
} from './policies/index.js';
export { FrequencySketch } from './frequencySketch.js';
export { estimateBytes, defaultEntrySize } from './sizeof.js';
export { hashKey } from './hash.js';
export type { ManagedCache, CacheAccount } from './managed.js';
export {
  MemoryManager,
  MB,
  memoryManagerOptionsSchema,
  type MemoryManagerOptions,
  type CleanupReport,
  type CleanupTrigger,
  type ManagerStats,
  type RegisterOptions,
} from './manager.js';
export { readPressure, readCgroupMemory, type PressureReading, type PressureSources } from './pressure.js';
