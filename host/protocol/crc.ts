/**
 * The frame CRC, from spec/protocol.ts's CRC table (CRC-32C): reflected, so the table is
 * indexed by the register's low byte and the register shifts right; init and xorout as
 * the table says. Table-driven, one lookup per byte.
 */
import { CRC } from '../../spec/index.js';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ CRC.polyReflected : c >>> 1;
    t[b] = c;
  }
  return t;
})();

/** The CRC of no bytes at all; a chain starts from it. */
export const CRC_OF_NOTHING = (CRC.init ^ CRC.xorout) >>> 0;

/**
 * The frame CRC of `bytes`, as it goes on the wire (after the final XOR). To chain, pass
 * the CRC of the bytes before as `previous`: frameCrc(b, frameCrc(a)) = frameCrc(a ‖ b).
 */
export function frameCrc(bytes: Uint8Array, previous: number = CRC_OF_NOTHING): number {
  let c = (previous ^ CRC.xorout) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (c >>> 8) ^ TABLE[(c ^ bytes[i]!) & 0xff]!;
  return (c ^ CRC.xorout) >>> 0;
}
