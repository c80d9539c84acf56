/**
 * Archives of janela's host: the metrics store, consciousness states and emotional history,
 * on a columnar, checksummed block codec, persisted through a BlobStore. docs/archive.md.
 */
export * from './errors.js';
export * as codec from './codec/index.js';
export { BlockArchive, type BlockInfo, type CorruptionReport, type BlockArchiveStats } from './blockArchive.js';
export * from './metricsPriority.js';
export * from './metricsStore.js';
export * from './stateImportance.js';
export * from './stateStore.js';
export * from './emotionImportance.js';
export * from './emotionManager.js';
