/** CRC-16 of the frame format (spec CRC params), one byte per cycle: janela_crc16. */
import { CRC } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';

export const CRC16_MODULE = 'janela_crc16';

/** Combinational: the CRC after one more byte, MSB first (no reflection), as the spec says. */
export function generateCrc16(): VerilogFile {
  const text = `${header(CRC16_MODULE, 'CRC-16 byte update, MSB first, no reflection', {
    POLY: `0x${CRC.poly.toString(16)}`,
    INIT: `0x${CRC.init.toString(16)}`,
  })}
\`default_nettype none

module ${CRC16_MODULE} (
    input  wire [15:0] crc_in,
    input  wire [7:0]  data,
    output wire [15:0] crc_out
);
    localparam [15:0] POLY = ${lit(CRC.width, CRC.poly)};

    // Eight shift-and-xor steps of the bitwise algorithm; synthesis flattens them into
    // one xor network.
    function automatic [15:0] step(input [15:0] crc);
        step = crc[15] ? ({crc[14:0], 1'b0} ^ POLY) : {crc[14:0], 1'b0};
    endfunction

    wire [15:0] mixed = crc_in ^ {data, 8'h00};
    assign crc_out = step(step(step(step(step(step(step(step(mixed))))))));
endmodule

\`default_nettype wire
`;
  return { name: `${CRC16_MODULE}.v`, text };
}

/** Init value of the CRC register, for the frame blocks. */
export const CRC_INIT_LITERAL = lit(CRC.width, CRC.init);
