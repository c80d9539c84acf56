/** The archive codec: columnar, streaming, self-describing, checksummed blocks. */
export * from './block.js';
export * from './schema.js';
export * from './stream.js';
export { crc32 } from './crc32.js';
export { encodeGorillaSeries, decodeGorillaSeries, encodeGorillaFloats, decodeGorillaFloats } from './gorilla.js';
export { encodeChimpFloats, decodeChimpFloats } from './chimp.js';
export { FLOAT_CODEC_NAMES, type FloatCodecName, encodeFloatColumn, decodeFloatColumn } from './floatColumn.js';
export { quantizeOne } from './quantize.js';
export { TIMESTAMP_LIMIT } from './timestampColumn.js';
export { INT_LIMIT } from './intColumn.js';
