/** The wire protocol on the host: CRC, layout codec, typed messages, frames. */
export { CRC_OF_NOTHING, frameCrc } from './crc.js';
export { CodecError, decodeLayout, encodeLayout, encodedLength, type FieldValue, type FieldValues, type PayloadValues } from './codec.js';
export * from './messages.js';
export { FrameParser, encodeFrame, encodeResponseFrame, FRAME_KINDS, type Frame, type FrameKind, type ParserOptions, type ParserStats } from './frame.js';
