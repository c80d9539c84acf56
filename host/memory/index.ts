/**
 * The memory facade: one object for agent code over every tier of janela.
 *
 * ```ts
 * import { openMemory } from './host/memory/index.js';
 * const memory = await openMemory({ device: { sim: true }, dir: './memory' });
 * const alice = memory.conversation('alice');
 * const chat = await alice.context('chat', { systemPrompt: 'You are a helpful assistant.' });
 * await chat.append({ role: 'user', content: 'I prefer aisle seats.' });
 * await alice.remember('prefers aisle seats', { importance: 0.9 });
 * const prompt = await chat.prompt();          // window + history-context summary
 * await memory.close();
 * ```
 *
 * See docs/memory.md for the config reference, the importance formula and the metrics.
 */
export { openMemory, Memory, splitSessionId, type OpenMemoryOptions, type MemoryStats, type MemoryEvents, type SpillStats, type DeviceKind } from './memory.js';
export {
  Conversation,
  rememberOptionsSchema,
  recallOptionsSchema,
  type RememberOptions,
  type RecallOptions,
  type Remembered,
  type RecalledMemory,
  type AccountWindow,
} from './conversation.js';
export { ContextSession, sessionMessageSchema, sessionOptionsSchema, type SessionMessage, type SessionOptions, type SessionAppendResult, type PromptView } from './session.js';
export {
  memoryConfigSchema,
  parseMemoryConfig,
  loadMemoryConfig,
  readConfigFile,
  mergeConfig,
  cacheBudget,
  memoryAccountIdSchema,
  sessionNameSchema,
  windowLabelSchema,
  MiB,
  deviceFromArg,
  type MemoryConfig,
  type MemoryConfigInput,
} from './config.js';
export { ImportanceScorer, importanceConfigSchema, type ImportanceConfig, type ImportanceConfigInput, type ImportanceInput } from './importance.js';
export { UnifiedCleaner, type Reclaimable, type ReclaimCandidate, type MemoryCleanupReport, type FreedItem, type ComponentKind, type CleanupTrigger } from './cleanup.js';
export { MemoryCache, memoryCacheOptionsSchema, cacheSetOptionsSchema, type MemoryCacheOptions, type CacheSetOptions } from './caches.js';
export { MemoryAccess } from './access.js';
export type { WindowInfo, PoolStats, SpillCause } from './windows.js';
export type { ArchiveStats } from './archives.js';
export { MemoryConfigError, MemoryInputError, MemoryClosedError, type MemoryIssue } from './errors.js';
// Errors of the modules underneath, so agent code can catch everything from one import.
export { AccessDeniedError } from '../protect/errors.js';
export { InvalidMessageError, AccountIdError, TierConfigError, SummariserError } from '../tiers/errors.js';
export { ContextWindowError, ContextExpiredError, MemoryOverflowError, FoldError } from '../context/errors.js';
export { StateTransitionError, StatePersistenceError } from '../session/errors.js';
export { ArchiveInputError, ArchiveClosedError, ArchiveNotFoundError } from '../archive/errors.js';
export {
  DeviceStatusError,
  WindowNotFoundError,
  BoundedMemoryExceededError,
  InvalidSalienceError,
  LinkTimeoutError,
  DeviceMismatchError,
} from '../device/errors.js';
