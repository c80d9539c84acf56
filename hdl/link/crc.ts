/**
 * The frame CRC (spec/protocol.ts's CRC table: CRC-32C), one byte per cycle: janela_crc.
 * The frame blocks hold the register from `CRC_INIT_LITERAL`, feed it every byte from LEN to
 * the end of the payload, and put `crc ^ CRC_XOROUT_LITERAL` on the wire, low byte first.
 */
import { CRC, FRAME_TRAILER_BYTES } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { indexBits } from './params.js';

export const CRC_MODULE = 'janela_crc';

if (CRC.width !== 8 * FRAME_TRAILER_BYTES) {
  throw new Error(`a ${CRC.width}-bit CRC does not fill the ${FRAME_TRAILER_BYTES}-byte frame trailer`);
}

/** Bits of the CRC register. */
export const CRC_BITS = CRC.width;
/** Bits of an index over the CRC's bytes on the wire (0..FRAME_TRAILER_BYTES-1). */
export const CRC_INDEX_BITS = indexBits(FRAME_TRAILER_BYTES);
/** Index of the last CRC byte on the wire. */
export const CRC_LAST_INDEX_LITERAL = lit(CRC_INDEX_BITS, FRAME_TRAILER_BYTES - 1);
/** Value of the CRC register at the start of a frame. */
export const CRC_INIT_LITERAL = lit(CRC_BITS, CRC.init);
/** XORed into the register to give the CRC that goes on the wire. */
export const CRC_XOROUT_LITERAL = lit(CRC_BITS, CRC.xorout);

/**
 * Combinational: the register after one more byte. Reflected (LSB first): the byte enters
 * the low end of the register, and each of eight steps shifts right, XORing the reflected
 * polynomial in when a 1 falls out.
 */
export function generateCrc(): VerilogFile {
  const top = CRC_BITS - 1;
  const text = `${header(CRC_MODULE, `${CRC.name} byte update, reflected (LSB first)`, {
    WIDTH: CRC_BITS,
    POLY_REFLECTED: `0x${CRC.polyReflected.toString(16)}`,
  })}
\`default_nettype none

module ${CRC_MODULE} (
    input  wire [${top}:0] crc_in,
    input  wire [7:0]  data,
    output wire [${top}:0] crc_out
);
    localparam [${top}:0] POLY_REFLECTED = ${lit(CRC_BITS, CRC.polyReflected)};

    // Eight shift-and-xor steps of the bitwise algorithm; synthesis flattens them into
    // one xor network.
    function automatic [${top}:0] step(input [${top}:0] crc);
        step = crc[0] ? ({1'b0, crc[${top}:1]} ^ POLY_REFLECTED) : {1'b0, crc[${top}:1]};
    endfunction

    wire [${top}:0] mixed = crc_in ^ {${lit(CRC_BITS - 8, 0)}, data};
    assign crc_out = step(step(step(step(step(step(step(step(mixed))))))));
endmodule

\`default_nettype wire
`;
  return { name: `${CRC_MODULE}.v`, text };
}
