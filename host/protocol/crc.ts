/**
 * The frame CRC, from spec/protocol.ts's CRC table (CRC-32C): reflected, so the table is
 * indexed by the register's low byte and the register shifts right; init and xorout as
 * the table says. The register update is spec's crcRegister (table-driven).
 */
import { CRC, crcRegister } from '../../spec/index.js';

/** The CRC of no bytes at all; a chain starts from it. */
export const CRC_OF_NOTHING = (CRC.init ^ CRC.xorout) >>> 0;

/**
 * The frame CRC of `bytes`, as it goes on the wire (after the final XOR). To chain, pass
 * the CRC of the bytes before as `previous`: frameCrc(b, frameCrc(a)) = frameCrc(a ‖ b).
 */
export function frameCrc(bytes: Uint8Array, previous: number = CRC_OF_NOTHING): number {
  return (crcRegister(previous ^ CRC.xorout, bytes) ^ CRC.xorout) >>> 0;
}
