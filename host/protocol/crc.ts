/** CRC-16 of the frame layer, parameterised by spec/protocol.ts's CRC table (no reflection, no xorout). */
import { CRC } from '../../spec/index.js';

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b << 8;
    for (let i = 0; i < 8; i++) c = c & 0x8000 ? ((c << 1) ^ CRC.poly) & 0xffff : (c << 1) & 0xffff;
    t[b] = c;
  }
  return t;
})();

/** Continues a CRC over `bytes[start, end)`; pass the previous result as `crc` to chain. */
export function crc16(bytes: Uint8Array, crc: number = CRC.init, start = 0, end = bytes.length): number {
  let c = crc;
  for (let i = start; i < end; i++) c = ((c << 8) & 0xffff) ^ TABLE[((c >> 8) ^ bytes[i]!) & 0xff]!;
  return c;
}
