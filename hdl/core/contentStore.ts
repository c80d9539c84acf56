/**
 * Content store: three block RAMs sharing one read and one write address.
 *
 * - meta {valid, slot, sal}: 13 bits, written whole (new item) or by field (invalidate,
 *   decay) through bit enables, which map to SB_RAM40_4K's write mask;
 * - stamp (40 bits) and handle (64 bits): written only with a new item.
 *
 * Reads are synchronous with a read enable and no reset, so Yosys maps every memory to
 * SB_RAM40_4K (256 x 16 per block). The read data holds while rd_en is low, which the
 * controller uses to keep a record on the outputs while it is sent. rd_addr_q is the
 * address the read data belongs to: the controller's scan position.
 */
import { header, type VerilogFile } from '../verilog.js';
import { META_BITS, MODULES, type CoreShape } from './shape.js';

export function generateContentStore(shape: CoreShape): VerilogFile {
  const name = MODULES.store;
  const { capacity: CAP } = shape.config;
  const { addrBits: A, slotBits: SB, stampBits: TB } = shape;
  const M = META_BITS;
  const valid = M - 1;
  const slotHi = M - 2;
  const slotLo = 8;
  const text = `${header(name, 'content store in block RAM: meta {valid, slot, sal}, stamp, handle', {
    capacity: CAP,
    addressBits: A,
    metaBits: M,
    stampBits: TB,
    handleBits: 64,
  })}
\`default_nettype none

module ${name} (
    input  wire         clk,
    // Read port: data arrives one cycle after rd_en and then holds.
    input  wire         rd_en,
    input  wire [${A - 1}:0]   rd_addr,
    output reg  [${A - 1}:0]   rd_addr_q,
    output wire         rd_valid,
    output wire [${SB - 1}:0]   rd_slot,
    output wire [7:0]   rd_sal,
    output reg  [${TB - 1}:0]  rd_stamp,
    output reg  [63:0]  rd_handle,
    // Write port: one kind of write per cycle.
    input  wire [${A - 1}:0]   wr_addr,
    input  wire         wr_item,        // a new item: every field
    input  wire         wr_invalidate,  // valid <= 0
    input  wire         wr_sal_only,    // sal <= wr_sal (decay)
    input  wire [${SB - 1}:0]   wr_slot,
    input  wire [7:0]   wr_sal,
    input  wire [${TB - 1}:0]  wr_stamp,
    input  wire [63:0]  wr_handle
\`ifdef FORMAL
    ,
    output wire [${CAP * M - 1}:0] f_meta   // every meta word, for the proofs
\`endif
);
    // The controller never reads a word in the cycle it writes it, so Yosys need not
    // build read-during-write bypass logic around the block RAMs.
    (* no_rw_check *) reg [${M - 1}:0]  meta_mem   [0:${CAP - 1}];
    (* no_rw_check *) reg [${TB - 1}:0]  stamp_mem  [0:${CAP - 1}];
    (* no_rw_check *) reg [63:0]  handle_mem [0:${CAP - 1}];
    reg [${M - 1}:0]  rd_meta;

    assign rd_valid = rd_meta[${valid}];
    assign rd_slot = rd_meta[${slotHi}:${slotLo}];
    assign rd_sal = rd_meta[7:0];

    always @(posedge clk) begin
        if (wr_item || wr_invalidate) meta_mem[wr_addr][${valid}] <= wr_item;
        if (wr_item) meta_mem[wr_addr][${slotHi}:${slotLo}] <= wr_slot;
        if (wr_item || wr_sal_only) meta_mem[wr_addr][7:0] <= wr_sal;
        if (wr_item) begin
            stamp_mem[wr_addr] <= wr_stamp;
            handle_mem[wr_addr] <= wr_handle;
        end
    end

    always @(posedge clk) begin
        if (rd_en) begin
            rd_meta <= meta_mem[rd_addr];
            rd_stamp <= stamp_mem[rd_addr];
            rd_handle <= handle_mem[rd_addr];
            rd_addr_q <= rd_addr;
        end
    end

\`ifdef FORMAL
    genvar i;
    generate
        for (i = 0; i < ${CAP}; i = i + 1) begin : expose
            assign f_meta[i * ${M} +: ${M}] = meta_mem[i];
        end
    endgenerate
\`endif
endmodule

\`default_nettype wire
`;
  return { name: `${name}.v`, text };
}
