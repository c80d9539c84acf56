/** Conversation memory tiers: short-term, mid-term, whole history and history context, per account. */
export * from './accountId.js';
export * from './account.js';
export * from './config.js';
export * from './context.js';
export * from './contextBuilder.js';
export * from './errors.js';
export * from './memory.js';
export * from './message.js';
export * from './spill.js';
export * from './summariser.js';
export * from './topic.js';
export * from './window.js';
