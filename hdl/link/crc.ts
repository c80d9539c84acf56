/**
 * The frame CRC (spec/protocol.ts's CRC table: CRC-32C), one bit per cycle: janela_crc.
 *
 * Bit-serial, because a byte lasts at least 10 · MIN_BIT_CYCLES = 40 clocks on the line and
 * eight of them are enough: the register's next value is a shift with the polynomial XORed
 * in at its set bits (one LUT each), instead of the ~60-LUT xor network of a byte-wide update.
 *
 * The frame blocks clear the register at a frame's start and step it eight times per byte,
 * least significant bit first. Two more uses come from the same shift:
 * - sending: stepping with `din = crc[0]` makes the feedback zero, so eight steps shift the
 *   register right by a byte; the transmitter sends `crc[7:0]` (after the final XOR) and
 *   shifts, four times, instead of selecting bytes with a 32-to-8 multiplexer;
 * - receiving: the receiver steps the CRC bytes in too; after a good frame's four CRC bytes
 *   the register holds CRC_RESIDUE whatever the frame was, so the check is one comparison
 *   with a constant and the received CRC need not be kept.
 */
import { CRC, FRAME_TRAILER_BYTES, crcRegister } from '../../spec/index.js';
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

/** Byte i (little-endian) of a 32-bit value, as the CRC goes on the wire. */
const leByte = (value: number, i: number) => Math.floor(value / 2 ** (8 * i)) & 0xff;

/** Byte i of the final XOR, as sent with CRC byte i (little-endian). */
export function crcXoroutByte(i: number): number {
  return leByte(CRC.xorout, i);
}

/**
 * The register after a frame's covered bytes and then its correct CRC bytes: the same for
 * every frame (the CRC is affine in the message), so computed here from the empty one.
 */
export const CRC_RESIDUE = (() => {
  const sent = (CRC.init ^ CRC.xorout) >>> 0;
  const trailer = Array.from({ length: FRAME_TRAILER_BYTES }, (_, i) => leByte(sent, i));
  return crcRegister(CRC.init, trailer);
})();
export const CRC_RESIDUE_LITERAL = lit(CRC_BITS, CRC_RESIDUE);

/** A Verilog function giving the final-XOR byte that goes with CRC byte `index`. */
export function crcXoroutFunction(indent: string): string {
  const arms = Array.from(
    { length: FRAME_TRAILER_BYTES },
    (_, i) => `${indent}        ${lit(CRC_INDEX_BITS, i)}: xorout_byte = ${lit(8, crcXoroutByte(i))};`,
  );
  return [
    `${indent}// Byte i of the CRC's final XOR (spec: ${lit(CRC_BITS, CRC.xorout)}), sent with CRC byte i.`,
    `${indent}function automatic [7:0] xorout_byte(input [${CRC_INDEX_BITS - 1}:0] index);`,
    `${indent}    case (index)`,
    ...arms,
    `${indent}        default: xorout_byte = 8'h00;`,
    `${indent}    endcase`,
    `${indent}endfunction`,
  ].join('\n');
}

export function generateCrc(): VerilogFile {
  const top = CRC_BITS - 1;
  const text = `${header(CRC_MODULE, `${CRC.name} register, one bit per step, reflected (LSB first)`, {
    WIDTH: CRC_BITS,
    POLY_REFLECTED: `0x${CRC.polyReflected.toString(16)}`,
    INIT: `0x${CRC.init.toString(16)}`,
  })}
\`default_nettype none

module ${CRC_MODULE} (
    input  wire        clk,
    input  wire        clear,   // load the initial value (wins over step)
    input  wire        step,    // take one message bit
    input  wire        din,     // that bit; din = crc[0] only shifts the register right
    output reg  [${top}:0] crc
);
    localparam [${top}:0] POLY_REFLECTED = ${lit(CRC_BITS, CRC.polyReflected)};
    localparam [${top}:0] INIT = ${CRC_INIT_LITERAL};

    // The bitwise algorithm: the bit falling out, XORed with the message bit, decides
    // whether the reflected polynomial is XORed into the shifted register.
    wire feedback = crc[0] ^ din;

    always @(posedge clk) begin
        if (clear) crc <= INIT;
        else if (step) crc <= {1'b0, crc[${top}:1]} ^ (feedback ? POLY_REFLECTED : ${lit(CRC_BITS, 0)});
    end
endmodule

\`default_nettype wire
`;
  return { name: `${CRC_MODULE}.v`, text };
}
