/** Request parser and request queue: janela_frame_rx. */
import { FRAME_TRAILER_BYTES, IN_FLIGHT, MAX_REQUEST_PAYLOAD, REQUEST_SYNC } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { BRAM_MODULE } from './bram.js';
import { CRC_BITS, CRC_INDEX_BITS, CRC_INIT_LITERAL, CRC_LAST_INDEX_LITERAL, CRC_MODULE, CRC_XOROUT_LITERAL } from './crc.js';
import { IDLE_TIMEOUT_BITS, QUEUE_INDEX_BITS, QUEUE_SLOT_BITS, REQUEST_LEN_BITS } from './params.js';

export const FRAME_RX_MODULE = 'janela_frame_rx';

/**
 * Follows docs/protocol.md "Receiver rules": hunt for the sync byte, refuse LEN >
 * MAX_REQUEST_PAYLOAD, check the CRC, drop a partial frame after IDLE_TIMEOUT_BITS idle
 * bit times, and queue good frames (IN_FLIGHT of them; one arriving at a full queue is
 * dropped). A byte with a framing error also ends the frame: it cannot be trusted.
 *
 * The CRC register runs over LEN, SEQ, OP and the payload; the CRC bytes that follow
 * (little-endian) are collected and, at the last one, compared with the register after
 * the final XOR.
 *
 * Payloads go straight into block RAM as they arrive, into the slot the frame will take;
 * the slot is claimed only if the CRC is good. Whether the queue has room is decided at
 * the sync byte: only this block fills the queue, so room then is room at the end, and a
 * frame that starts on a full queue never writes over the head the sequencer is reading.
 */
export function generateFrameRx(bitCycles: number): VerilogFile {
  const slotBits = QUEUE_SLOT_BITS;
  const countBits = slotBits + 1;
  const text = `${header(FRAME_RX_MODULE, 'request frame parser and request queue', {
    BIT_CYCLES: bitCycles,
    IN_FLIGHT,
    MAX_REQUEST_PAYLOAD,
    FRAME_TRAILER_BYTES,
    IDLE_TIMEOUT_BITS,
  })}
\`default_nettype none

module ${FRAME_RX_MODULE} #(
    parameter integer BIT_CYCLES = ${bitCycles}
) (
    input  wire        clk,
    input  wire        rst,
    // from the UART receiver
    input  wire        rx_valid,
    input  wire [7:0]  rx_data,
    input  wire        rx_frame_error,
    input  wire        rx_line_idle,
    // head of the request queue
    output wire        head_valid,
    output wire [7:0]  head_seq,
    output wire [7:0]  head_op,
    output wire [${REQUEST_LEN_BITS - 1}:0]  head_len,
    input  wire        head_pop,
    input  wire [${QUEUE_INDEX_BITS - 1}:0]  payload_index,  // byte of the head's payload to read
    output wire [7:0]  payload_data,   // that byte, one cycle later
    // events
    output reg         frame_good,     // a good frame was queued
    output reg         frame_bad,      // a frame was dropped: LEN, CRC, framing error or idle timeout
    output reg         frame_overflow, // a good frame was dropped because the queue was full
    output wire        in_frame        // between a sync byte and the end of its frame
);
    localparam integer IDLE_LIMIT = ${IDLE_TIMEOUT_BITS} * BIT_CYCLES;
    localparam integer IDLE_BITS = $clog2(IDLE_LIMIT);
    localparam [31:0] IDLE_LAST_32 = IDLE_LIMIT - 1;
    localparam [IDLE_BITS-1:0] IDLE_LAST = IDLE_LAST_32[IDLE_BITS-1:0];

    localparam [7:0] SYNC_BYTE = ${lit(8, REQUEST_SYNC)};
    localparam [7:0] MAX_LEN = ${lit(8, MAX_REQUEST_PAYLOAD)};
    localparam [${countBits - 1}:0] QUEUE_SLOTS = ${lit(countBits, IN_FLIGHT)};

    localparam [2:0] S_HUNT = 3'd0, S_LEN = 3'd1, S_SEQ = 3'd2, S_OP = 3'd3,
                     S_PAYLOAD = 3'd4, S_CRC = 3'd5;
    localparam [${CRC_INDEX_BITS - 1}:0] CRC_LAST = ${CRC_LAST_INDEX_LITERAL};
    localparam [${CRC_BITS - 1}:0] CRC_XOROUT = ${CRC_XOROUT_LITERAL};

    reg [2:0]  state;
    reg [${REQUEST_LEN_BITS - 1}:0]  frame_len;
    reg [7:0]  frame_seq;
    reg [7:0]  frame_op;
    reg [${QUEUE_INDEX_BITS - 1}:0]  payload_count;  // payload bytes received so far
    reg        no_room;        // the queue was full at the sync byte: drop this frame
    reg [${CRC_BITS - 1}:0] crc;            // running over LEN..payload
    reg [${CRC_INDEX_BITS - 1}:0]  crc_index;      // CRC byte being received, 0 = lowest
    reg [${CRC_BITS - 9}:0] crc_received;   // the CRC bytes before the last, low byte lowest
    reg [IDLE_BITS-1:0] idle_count;

    wire [${CRC_BITS - 1}:0] crc_next;
    ${CRC_MODULE} crc_update (.crc_in(crc), .data(rx_data), .crc_out(crc_next));

    // Queue: headers in registers, payloads in block RAM at {slot, byte}.
    reg [7:0] queue_seq [0:${IN_FLIGHT - 1}];
    reg [7:0] queue_op  [0:${IN_FLIGHT - 1}];
    reg [${REQUEST_LEN_BITS - 1}:0] queue_len [0:${IN_FLIGHT - 1}];
    reg [${slotBits - 1}:0] write_slot;
    reg [${slotBits - 1}:0] read_slot;
    reg [${countBits - 1}:0] queued;

    assign head_valid = (queued != ${lit(countBits, 0)});
    assign head_seq = queue_seq[read_slot];
    assign head_op = queue_op[read_slot];
    assign head_len = queue_len[read_slot];
    assign in_frame = (state != S_HUNT);

    wire payload_write = rx_valid && (state == S_PAYLOAD) && !no_room;
    ${BRAM_MODULE} #(.ADDR_BITS(${slotBits + QUEUE_INDEX_BITS})) payload_ram (
        .clk(clk),
        .write_enable(payload_write),
        .write_addr({write_slot, payload_count}),
        .write_data(rx_data),
        .read_addr({read_slot, payload_index}),
        .read_data(payload_data)
    );

    // Meaningful at the last CRC byte, which is rx_data.
    wire crc_last = (state == S_CRC) && (crc_index == CRC_LAST);
    wire crc_ok = ({rx_data, crc_received} == (crc ^ CRC_XOROUT));
    wire push = rx_valid && crc_last && crc_ok && !no_room;
    wire idle_expired = in_frame && rx_line_idle && (idle_count == IDLE_LAST);

    always @(posedge clk) begin
        frame_good <= 1'b0;
        frame_bad <= 1'b0;
        frame_overflow <= 1'b0;
        if (rst) begin
            state <= S_HUNT;
            frame_len <= ${lit(REQUEST_LEN_BITS, 0)};
            frame_seq <= 8'd0;
            frame_op <= 8'd0;
            payload_count <= ${lit(QUEUE_INDEX_BITS, 0)};
            no_room <= 1'b0;
            crc <= ${CRC_INIT_LITERAL};
            crc_index <= ${lit(CRC_INDEX_BITS, 0)};
            crc_received <= ${lit(CRC_BITS - 8, 0)};
            idle_count <= {IDLE_BITS{1'b0}};
        end else begin
            idle_count <= (in_frame && rx_line_idle) ? idle_count + 1'b1 : {IDLE_BITS{1'b0}};
            if (idle_expired || (in_frame && rx_frame_error)) begin
                state <= S_HUNT;
                frame_bad <= 1'b1;
            end else if (rx_valid) begin
                case (state)
                    S_HUNT:
                        if (rx_data == SYNC_BYTE) begin
                            state <= S_LEN;
                            crc <= ${CRC_INIT_LITERAL};
                            no_room <= (queued == QUEUE_SLOTS);
                        end
                    S_LEN:
                        if (rx_data > MAX_LEN) begin
                            state <= S_HUNT;   // the next byte is examined as a sync byte
                            frame_bad <= 1'b1;
                        end else begin
                            state <= S_SEQ;
                            frame_len <= rx_data[${REQUEST_LEN_BITS - 1}:0];
                            crc <= crc_next;
                        end
                    S_SEQ: begin
                        state <= S_OP;
                        frame_seq <= rx_data;
                        crc <= crc_next;
                    end
                    S_OP: begin
                        state <= (frame_len == ${lit(REQUEST_LEN_BITS, 0)}) ? S_CRC : S_PAYLOAD;
                        frame_op <= rx_data;
                        payload_count <= ${lit(QUEUE_INDEX_BITS, 0)};
                        crc_index <= ${lit(CRC_INDEX_BITS, 0)};
                        crc <= crc_next;
                    end
                    S_PAYLOAD: begin
                        if (payload_count + 1'b1 == frame_len) state <= S_CRC;
                        payload_count <= payload_count + 1'b1;
                        crc <= crc_next;
                    end
                    S_CRC:
                        if (!crc_last) begin
                            crc_index <= crc_index + 1'b1;
                            crc_received <= {rx_data, crc_received[${CRC_BITS - 9}:8]};
                        end else begin
                            state <= S_HUNT;
                            if (!crc_ok) frame_bad <= 1'b1;
                            else if (no_room) frame_overflow <= 1'b1;
                            else frame_good <= 1'b1;
                        end
                    default:
                        state <= S_HUNT;
                endcase
            end
        end
    end

    // Queue bookkeeping: only this block pushes, only the sequencer pops.
    always @(posedge clk) begin
        if (rst) begin
            write_slot <= ${lit(slotBits, 0)};
            read_slot <= ${lit(slotBits, 0)};
            queued <= ${lit(countBits, 0)};
        end else begin
            if (push) write_slot <= write_slot + 1'b1;
            if (head_pop) read_slot <= read_slot + 1'b1;
            queued <= queued + {{${countBits - 1}{1'b0}}, push} - {{${countBits - 1}{1'b0}}, head_pop};
        end
    end

    always @(posedge clk) begin
        if (push) begin
            queue_seq[write_slot] <= frame_seq;
            queue_op[write_slot] <= frame_op;
            queue_len[write_slot] <= frame_len;
        end
    end
endmodule

\`default_nettype wire
`;
  return { name: `${FRAME_RX_MODULE}.v`, text };
}
