/** Response framing and transmission order: janela_tx_scheduler. */
import { FRAME_TRAILER_BYTES, IN_FLIGHT, RESPONSE_SYNC, STATUS } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { CRC_BITS, CRC_INDEX_BITS, CRC_INIT_LITERAL, CRC_LAST_INDEX_LITERAL, CRC_MODULE, CRC_XOROUT_LITERAL } from './crc.js';
import { indexBits, type RingLayout } from './params.js';
import { slotTable } from './sequencer.js';

export const TX_SCHEDULER_MODULE = 'janela_tx_scheduler';

/** Jobs waiting for the transmitter. One per answered request; the sequencer stalls when full. */
export const JOB_QUEUE_DEPTH = IN_FLIGHT;

/**
 * Sends answers in the order the sequencer decided them, from a job queue. A job either
 * names a RAM slot (status and payload stored there) or is a generated BadSequence
 * answer. The scheduler adds sync byte, LEN, SEQ and the CRC (over LEN, SEQ, status and
 * payload; after the final XOR, low byte first), and prepares each next byte
 * while the UART shifts out the current one, so frames leave back to back. `slot_busy`
 * marks every slot a queued or sending job still reads: the sequencer does not overwrite
 * those.
 */
export function generateTxScheduler(ring: RingLayout): VerilogFile {
  const slotW = ring.slotBits;
  const addrW = ring.addrBits;
  const depth = JOB_QUEUE_DEPTH;
  const ptrW = indexBits(depth);
  const countW = ptrW + 1;
  const busyTerms = ring.base.map((_, s) => {
    const queued = Array.from({ length: depth }, (_, i) => `(job_valid[${i}] && !job_gen[${i}] && job_slot_q[${i}] == ${lit(slotW, s)})`);
    return `    assign slot_busy[${s}] = (sending && !cur_generated && cur_slot == ${lit(slotW, s)})\n        || ${queued.join('\n        || ')};`;
  });
  const text = `${header(TX_SCHEDULER_MODULE, 'response framing, CRC and transmission order', {
    JOB_QUEUE_DEPTH: depth,
    FRAME_TRAILER_BYTES,
    RING_BASE: ring.base,
  })}
\`default_nettype none

module ${TX_SCHEDULER_MODULE} (
    input  wire        clk,
    input  wire        rst,
    // jobs from the sequencer
    input  wire        job_push,
    input  wire        job_generated,  // 1: BadSequence with payload job_arg; 0: RAM slot job_slot, LEN job_len
    input  wire [${slotW - 1}:0]  job_slot,
    input  wire [7:0]  job_seq,
    input  wire [7:0]  job_len,
    input  wire [7:0]  job_arg,
    output wire        job_full,
    output wire [${ring.slots - 1}:0]  slot_busy,
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
    localparam [7:0] BAD_SEQUENCE = ${lit(8, STATUS.badSequence.code)};
    localparam [7:0] BAD_SEQUENCE_LEN = 8'd1;
    localparam [${countW - 1}:0] DEPTH = ${lit(countW, depth)};
    localparam [1:0] T_IDLE = 2'd0, T_FETCH = 2'd1, T_SEND = 2'd2;
    localparam [2:0] P_SYNC = 3'd0, P_LEN = 3'd1, P_SEQ = 3'd2, P_BODY = 3'd3, P_CRC = 3'd4;
    localparam [${CRC_INDEX_BITS - 1}:0] CRC_LAST = ${CRC_LAST_INDEX_LITERAL};
    localparam [${CRC_BITS - 1}:0] CRC_XOROUT = ${CRC_XOROUT_LITERAL};

${slotTable(ring, 'base', '    ')}

    // Job queue. \`word\` is LEN for a RAM job and the expected SEQ for a BadSequence job
    // (whose LEN is always 1), so one byte holds both.
    reg [${depth - 1}:0] job_valid;
    reg [${depth - 1}:0] job_gen;
    reg [${slotW - 1}:0] job_slot_q [0:${depth - 1}];
    reg [7:0] job_seq_q [0:${depth - 1}];
    reg [7:0] job_word_q [0:${depth - 1}];
    reg [${ptrW - 1}:0] job_write;
    reg [${ptrW - 1}:0] job_read;
    reg [${countW - 1}:0] job_count;

    // The frame being sent.
    reg [1:0]  state;
    reg [2:0]  phase;
    reg        cur_generated;
    reg [${slotW - 1}:0]  cur_slot;
    reg [7:0]  cur_seq;
    reg [7:0]  cur_word;
    reg [7:0]  body_left;      // body bytes after the current one
    reg        body_first;     // the current body byte is the status
    reg [${addrW - 1}:0]  read_addr;
    reg [${CRC_BITS - 1}:0] crc;            // running over LEN..body; final in P_CRC
    reg [${CRC_INDEX_BITS - 1}:0]  crc_index;      // CRC byte being sent, 0 = lowest

    wire sending = (state != T_IDLE);
    wire job_pop = (state == T_IDLE) && (job_count != ${lit(countW, 0)});
    wire job_accept = job_push && !job_full;
    assign job_full = (job_count == DEPTH);
    assign idle = !sending && (job_count == ${lit(countW, 0)});
    assign frame_start = job_pop;
    assign tx_valid = (state == T_SEND);
    assign ring_addr = read_addr;

${busyTerms.join('\n')}

    wire [${CRC_BITS - 1}:0] crc_final = crc ^ CRC_XOROUT;
    wire crc_last = (crc_index == CRC_LAST);

    always @* begin
        case (phase)
            P_SYNC:  tx_data = SYNC_BYTE;
            P_LEN:   tx_data = cur_generated ? BAD_SEQUENCE_LEN : cur_word;
            P_SEQ:   tx_data = cur_seq;
            P_BODY:  tx_data = !cur_generated ? ring_data : body_first ? BAD_SEQUENCE : cur_word;
            P_CRC:   tx_data = crc_final[{crc_index, 3'b000} +: 8];
            default: tx_data = 8'h00;
        endcase
    end

    wire [${CRC_BITS - 1}:0] crc_next;
    ${CRC_MODULE} crc_update (.crc_in(crc), .data(tx_data), .crc_out(crc_next));
    wire covered_by_crc = (phase == P_LEN) || (phase == P_SEQ) || (phase == P_BODY);

    always @(posedge clk) begin
        if (rst) begin
            state <= T_IDLE;
            phase <= P_SYNC;
            cur_generated <= 1'b0;
            cur_slot <= ${lit(slotW, 0)};
            cur_seq <= 8'd0;
            cur_word <= 8'd0;
            body_left <= 8'd0;
            body_first <= 1'b0;
            read_addr <= ${lit(addrW, 0)};
            crc <= ${CRC_INIT_LITERAL};
            crc_index <= ${lit(CRC_INDEX_BITS, 0)};
        end else begin
            case (state)
                T_IDLE:
                    if (job_pop) begin
                        state <= T_FETCH;
                        phase <= P_SYNC;
                        cur_generated <= job_gen[job_read];
                        cur_slot <= job_slot_q[job_read];
                        cur_seq <= job_seq_q[job_read];
                        cur_word <= job_word_q[job_read];
                        body_left <= job_gen[job_read] ? BAD_SEQUENCE_LEN : job_word_q[job_read];
                        body_first <= 1'b1;
                        read_addr <= base_of(job_slot_q[job_read]);
                        crc <= ${CRC_INIT_LITERAL};
                    end
                T_FETCH:  // read_addr is presented now; ring_data is valid in T_SEND
                    state <= T_SEND;
                T_SEND:
                    if (tx_ready) begin
                        if (covered_by_crc) crc <= crc_next;
                        state <= (phase == P_CRC && crc_last) ? T_IDLE : T_FETCH;
                        case (phase)
                            P_SYNC: phase <= P_LEN;
                            P_LEN:  phase <= P_SEQ;
                            P_SEQ:  phase <= P_BODY;
                            P_BODY: begin
                                read_addr <= read_addr + 1'b1;
                                body_first <= 1'b0;
                                if (body_left == 8'd0) begin
                                    phase <= P_CRC;
                                    crc_index <= ${lit(CRC_INDEX_BITS, 0)};
                                end else body_left <= body_left - 8'd1;
                            end
                            P_CRC:
                                if (crc_last) phase <= P_SYNC;
                                else crc_index <= crc_index + 1'b1;
                            default: phase <= P_SYNC;
                        endcase
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
            job_count <= ${lit(countW, 0)};
        end else begin
            if (job_accept) begin
                job_valid[job_write] <= 1'b1;
                job_write <= job_write + 1'b1;
            end
            if (job_pop) begin
                job_valid[job_read] <= 1'b0;
                job_read <= job_read + 1'b1;
            end
            job_count <= job_count + {${lit(countW - 1, 0)}, job_accept} - {${lit(countW - 1, 0)}, job_pop};
        end
    end

    always @(posedge clk) begin
        if (job_accept) begin
            job_gen[job_write] <= job_generated;
            job_slot_q[job_write] <= job_slot;
            job_seq_q[job_write] <= job_seq;
            job_word_q[job_write] <= job_generated ? job_arg : job_len;
        end
    end
endmodule

\`default_nettype wire
`;
  return { name: `${TX_SCHEDULER_MODULE}.v`, text };
}
