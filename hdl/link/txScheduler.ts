/** Response framing and transmission order: janela_tx_scheduler. */
import { FRAME_TRAILER_BYTES, RESPONSE_SYNC } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { CRC_BITS, CRC_INDEX_BITS, CRC_LAST_INDEX_LITERAL, CRC_MODULE, crcXoroutFunction } from './crc.js';
import { JOB_QUEUE_DEPTH, indexBits, type RingLayout } from './params.js';
import { slotTable } from './sequencer.js';

export const TX_SCHEDULER_MODULE = 'janela_tx_scheduler';

export { JOB_QUEUE_DEPTH };

/**
 * Sends answers in the order the sequencer decided them, from a job queue. A job names a
 * RAM slot, which holds the frame from LEN on (params.ts: LEN, SEQ, status, payload). The
 * scheduler adds the sync byte and the CRC (over LEN, SEQ, status and payload; after the
 * final XOR, low byte first), and prepares each next byte while the UART shifts out the
 * current one, so frames leave back to back: after the UART takes a byte, eight clocks
 * step it into the bit-serial CRC (or, for a CRC byte, shift the register down to the next
 * one), two more fetch the next byte, and the UART wants it only 10 · BIT_CYCLES ≥ 40
 * clocks after the last. `busy_answer` tells whether a queued or sending job still
 * reads the slot `busy_query`: the sequencer does not overwrite those.
 */
export function generateTxScheduler(ring: RingLayout): VerilogFile {
  const slotW = ring.slotBits;
  const addrW = ring.addrBits;
  const depth = JOB_QUEUE_DEPTH;
  const ptrW = indexBits(depth);
  if (depth !== 1 << ptrW) throw new Error(`the job queue's pointers wrap at a power of two, not ${depth}`);
  const queryW = indexBits(ring.scratchSlot + 1);
  const query = `{${lit(slotW - queryW, 0)}, busy_query}`;
  const queued = Array.from({ length: depth }, (_, i) => `(job_valid[${i}] && job_slot_q[${i}] == ${query})`);
  const busyTerm = `    assign busy_answer = (sending && cur_slot == ${query})\n        || ${queued.join('\n        || ')};`;
  const text = `${header(TX_SCHEDULER_MODULE, 'response framing, CRC and transmission order', {
    JOB_QUEUE_DEPTH: depth,
    FRAME_TRAILER_BYTES,
    RING_SLOTS: ring.ids,
    RING_BASE: ring.base,
  })}
\`default_nettype none

module ${TX_SCHEDULER_MODULE} (
    input  wire        clk,
    input  wire        rst,
    // jobs from the sequencer
    input  wire        job_push,
    input  wire [${slotW - 1}:0]  job_slot,
    output wire        job_full,
    input  wire [${queryW - 1}:0]  busy_query,     // a replay or scratch slot the sequencer wants to write
    output wire        busy_answer,    // a queued or sending job still reads it
    // response RAM read port (one cycle latency)
    output wire [${addrW - 1}:0]  ring_addr,
    input  wire [7:0]  ring_data,
    // UART transmitter
    output wire        tx_valid,
    output reg  [7:0]  tx_data,
    input  wire        tx_ready,
    output wire        idle,
    output wire        frame_start       // a response frame starts
);
    localparam [7:0] SYNC_BYTE = ${lit(8, RESPONSE_SYNC)};
    localparam [1:0] T_IDLE = 2'd0, T_FETCH = 2'd1, T_SEND = 2'd2, T_MIX = 2'd3;
    localparam [2:0] P_SYNC = 3'd0, P_LEN = 3'd1, P_SEQ = 3'd2, P_BODY = 3'd3, P_CRC = 3'd4;
    localparam [${CRC_INDEX_BITS - 1}:0] CRC_LAST = ${CRC_LAST_INDEX_LITERAL};

${slotTable(ring, 'base', '    ')}
${crcXoroutFunction('    ')}

    // Job queue: slot numbers. An entry is valid from its push to its pop, so the entry at
    // job_read says whether there is a job, and the one at job_write whether the queue is full.
    reg [${depth - 1}:0] job_valid;
    reg [${slotW - 1}:0] job_slot_q [0:${depth - 1}];
    reg [${ptrW - 1}:0] job_write;
    reg [${ptrW - 1}:0] job_read;

    // The frame being sent.
    reg [1:0]  state;
    reg [2:0]  phase;
    reg [${slotW - 1}:0]  cur_slot;
    reg [7:0]  body_left;      // P_BODY: body bytes (status, payload) after this one; P_CRC: CRC bytes
    reg [${addrW - 1}:0]  read_addr;
    reg [2:0]  mix_bit;        // T_MIX: bit of the byte just sent being stepped in (wraps to 0)

    wire sending = (state != T_IDLE);
    wire job_pop = (state == T_IDLE) && job_valid[job_read];
    wire job_accept = job_push && !job_full;
    assign job_full = job_valid[job_write];
    assign idle = !sending && !job_valid[job_read];
    assign frame_start = job_pop;
    assign tx_valid = (state == T_SEND);
    assign ring_addr = read_addr;

${busyTerm}

    wire last_byte = (body_left == 8'd0);   // of the body, or of the CRC
    wire [${CRC_INDEX_BITS - 1}:0] crc_index = CRC_LAST - body_left[${CRC_INDEX_BITS - 1}:0];   // CRC byte being sent, 0 = lowest
    // Over LEN..body; in P_CRC shifted down a byte per CRC byte sent, so only the low byte
    // is read out.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [${CRC_BITS - 1}:0] crc;
    /* verilator lint_on UNUSEDSIGNAL */

    always @* begin
        case (phase)
            P_SYNC:  tx_data = SYNC_BYTE;
            P_CRC:   tx_data = crc[7:0] ^ xorout_byte(crc_index);
            default: tx_data = ring_data;   // LEN, SEQ, status, payload
        endcase
    end

    // In T_MIX the byte just sent is still on tx_data (phase and read_addr move at the end).
    // The sync byte is not covered; a CRC byte steps with din = crc[0], a plain shift.
    wire crc_step = (state == T_MIX) && (phase != P_SYNC);
    wire crc_din = (phase == P_CRC) ? crc[0] : ring_data[mix_bit];   // LEN..body come from the RAM
    ${CRC_MODULE} crc_register (
        .clk(clk), .clear(job_pop), .step(crc_step), .din(crc_din), .crc(crc)
    );

    always @(posedge clk) begin
        if (rst) begin
            state <= T_IDLE;
            phase <= P_SYNC;
            cur_slot <= ${lit(slotW, 0)};
            body_left <= 8'd0;
            read_addr <= ${lit(addrW, 0)};
            mix_bit <= 3'd0;
        end else begin
            case (state)
                T_IDLE:
                    if (job_pop) begin
                        state <= T_FETCH;
                        phase <= P_SYNC;
                        cur_slot <= job_slot_q[job_read];
                    end
                T_FETCH: begin  // read_addr is presented now; ring_data is valid in T_SEND
                    state <= T_SEND;
                    // The sync byte needs no RAM: meanwhile the address moves to the slot's LEN.
                    if (phase == P_SYNC) read_addr <= base_of(cur_slot);
                end
                T_SEND:
                    if (tx_ready) state <= T_MIX;
                T_MIX: begin
                    mix_bit <= mix_bit + 3'd1;
                    if (mix_bit == 3'd7) begin
                        state <= (phase == P_CRC && last_byte) ? T_IDLE : T_FETCH;
                        if (phase != P_SYNC && phase != P_CRC) read_addr <= read_addr + 1'b1;
                        case (phase)
                            P_SYNC: phase <= P_LEN;
                            P_LEN: begin
                                phase <= P_SEQ;
                                body_left <= ring_data;   // LEN: payload bytes after the status
                            end
                            P_SEQ:  phase <= P_BODY;
                            P_BODY:
                                if (last_byte) begin
                                    phase <= P_CRC;
                                    body_left <= {${lit(8 - CRC_INDEX_BITS, 0)}, CRC_LAST};
                                end else body_left <= body_left - 8'd1;
                            P_CRC:
                                if (last_byte) phase <= P_SYNC;
                                else body_left <= body_left - 8'd1;
                            default: phase <= P_SYNC;
                        endcase
                    end
                end
                default:
                    state <= T_IDLE;
            endcase
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            job_valid <= ${lit(depth, 0)};
            job_write <= ${lit(ptrW, 0)};
            job_read <= ${lit(ptrW, 0)};
        end else begin
            if (job_accept) begin
                job_valid[job_write] <= 1'b1;
                job_write <= job_write + 1'b1;
            end
            if (job_pop) begin
                job_valid[job_read] <= 1'b0;
                job_read <= job_read + 1'b1;
            end
        end
    end

    always @(posedge clk) begin
        if (job_accept) job_slot_q[job_write] <= job_slot;
    end
endmodule

\`default_nettype wire
`;
  return { name: `${TX_SCHEDULER_MODULE}.v`, text };
}
