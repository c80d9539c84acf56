/** Byte-wide simple dual-port RAM in the shape Yosys maps to SB_RAM40_4K: janela_link_bram. */
import { header, type VerilogFile } from '../verilog.js';

export const BRAM_MODULE = 'janela_link_bram';

/**
 * One write port, one synchronous read port, no reset and no initial contents: the
 * pattern Yosys infers as iCE40 block RAM. Readers allow one cycle of read latency.
 * The link never uses a byte read from an address in the cycle it is written (the request
 * queue and the response ring keep writer and reader in different slots while the reader
 * uses the data), so `no_rw_check` spares Yosys the bypass logic that would otherwise
 * emulate read-during-write.
 */
export function generateBram(): VerilogFile {
  const text = `${header(BRAM_MODULE, 'byte RAM, synchronous read, no reset (infers SB_RAM40_4K)', {})}
\`default_nettype none

module ${BRAM_MODULE} #(
    parameter integer ADDR_BITS = 10
) (
    input  wire                 clk,
    input  wire                 write_enable,
    input  wire [ADDR_BITS-1:0] write_addr,
    input  wire [7:0]           write_data,
    input  wire [ADDR_BITS-1:0] read_addr,
    output reg  [7:0]           read_data
);
    (* no_rw_check *) reg [7:0] mem [0:(1 << ADDR_BITS) - 1];

    always @(posedge clk) begin
        if (write_enable) mem[write_addr] <= write_data;
        read_data <= mem[read_addr];
    end
endmodule

\`default_nettype wire
`;
  return { name: `${BRAM_MODULE}.v`, text };
}
