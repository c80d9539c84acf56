/** The device client: openDevice and everything its users handle. */
export { openDevice, checkInfo, deviceTargetSchema, deviceOptionsSchema, type DeviceTarget, type DeviceOptions } from './open.js';
export {
  WindowsDevice,
  recallQuerySchema,
  type WindowRef,
  type WindowListing,
  type EvictedItem,
  type StoredItem,
  type RecalledItem,
  type RecallQuery,
} from './device.js';
export * from './errors.js';
export type { LinkStats, LatencyStats, CompletedRequest } from './link.js';
export type { Content, Json } from '../content/contentStore.js';
