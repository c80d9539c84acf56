/** Storage backends of the conversation tiers and the generic BlobStore. */
export * from './blobStore.js';
export * from './errors.js';
export * from './failoverStore.js';
export * from './fileBlobStore.js';
export * from './fileStore.js';
export * from './redisBlobStore.js';
export * from './redisStore.js';
export * from './types.js';
export { createStoreFactory } from './factory.js';
export type { StoreSpec } from './factory.js';
