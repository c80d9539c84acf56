/** Request parser and request queue: janela_frame_rx. */
import { FRAME_TRAILER_BYTES, IN_FLIGHT, MAX_REQUEST_PAYLOAD, OPS, REQUEST_SYNC } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { BRAM_MODULE } from './bram.js';
import { CRC_BITS, CRC_INDEX_BITS, CRC_LAST_INDEX_LITERAL, CRC_MODULE, CRC_RESIDUE_LITERAL } from './crc.js';
import {
  IDLE_TIMEOUT_BITS,
  QUEUE_INDEX_BITS,
  QUEUE_LEN_INDEX,
  QUEUE_ROW_BITS,
  QUEUE_SLOT_BITS,
  REQUEST_LEN_BITS,
  indexBits,
} from './params.js';

export const FRAME_RX_MODULE = 'janela_frame_rx';

/**
 * Follows docs/protocol.md "Receiver rules": hunt for the sync byte, refuse LEN >
 * MAX_REQUEST_PAYLOAD, check the CRC, drop a partial frame after IDLE_TIMEOUT_BITS idle
 * bit times, and queue good frames (IN_FLIGHT of them; one arriving at a full queue is
 * dropped). A byte with a framing error also ends the frame: it cannot be trusted.
 *
 * The CRC register (bit-serial, eight clocks per byte while the next byte is still on the
 * line) runs over every byte after the sync byte, the four CRC bytes included: a frame is
 * good when it then holds CRC_RESIDUE (see crc.ts), so the received CRC is never stored.
 * The verdict comes nine clocks after the last CRC byte; `checking` covers that gap.
 *
 * Header and payload bytes go straight into block RAM as they arrive (params.ts: LEN, SEQ
 * and OP at the top of the slot, then the payload from 0 after the wrap), into the slot the
 * frame will take; the slot is claimed only if the CRC is good. Only whether the head is a
 * SYNC is kept in registers, for the sequencer's first look. A SYNC's OP is stored as
 * INFO's, the command the core runs for it. Whether the queue has room is decided at
 * the sync byte: only this block fills the queue, so room then is room at the end, and a
 * frame that starts on a full queue never writes over the head the sequencer is reading.
 */
export function generateFrameRx(): VerilogFile {
  const slotBits = QUEUE_SLOT_BITS;
  const countBits = slotBits + 1;
  const text = `${header(FRAME_RX_MODULE, 'request frame parser and request queue', {
    IN_FLIGHT,
    MAX_REQUEST_PAYLOAD,
    FRAME_TRAILER_BYTES,
    IDLE_TIMEOUT_BITS,
  })}
\`default_nettype none

module ${FRAME_RX_MODULE} (
    input  wire        clk,
    input  wire        rst,
    // from the UART receiver
    input  wire        rx_valid,
    input  wire [7:0]  rx_data,
    input  wire        rx_frame_error,
    input  wire        rx_line_idle,
    input  wire        rx_idle_tick,   // another bit time of rx_line_idle
    // head of the request queue
    output wire        head_valid,
    output wire        head_is_sync,   // its OP is SYNC
    input  wire        head_pop,
    input  wire [${QUEUE_ROW_BITS - 1}:0]  payload_index,  // byte of the head's slot to read
    output wire [7:0]  payload_data,   // that byte, one cycle later
    // events
    output reg         frame_good,     // a good frame was queued
    output reg         frame_bad,      // a frame was dropped: LEN, CRC, framing error or idle timeout
    output reg         frame_overflow, // a good frame was dropped because the queue was full
    output wire        in_frame,       // between a sync byte and the end of its frame
    output wire        checking        // a whole frame is in, its CRC verdict not yet out
);
    localparam [${indexBits(IDLE_TIMEOUT_BITS) - 1}:0] IDLE_LAST = ${lit(indexBits(IDLE_TIMEOUT_BITS), IDLE_TIMEOUT_BITS - 1)};

    localparam [7:0] SYNC_BYTE = ${lit(8, REQUEST_SYNC)};
    localparam [7:0] MAX_LEN = ${lit(8, MAX_REQUEST_PAYLOAD)};
    localparam [7:0] SYNC_OP = ${lit(8, OPS.sync.code)};
    localparam [7:0] INFO_OP = ${lit(8, OPS.info.code)};
    localparam [${QUEUE_ROW_BITS - 1}:0] AT_LEN = ${lit(QUEUE_ROW_BITS, QUEUE_LEN_INDEX)};
    localparam [${countBits - 1}:0] QUEUE_SLOTS = ${lit(countBits, IN_FLIGHT)};

    localparam [2:0] S_HUNT = 3'd0, S_LEN = 3'd1, S_SEQ = 3'd2, S_OP = 3'd3,
                     S_PAYLOAD = 3'd4, S_CRC = 3'd5;
    localparam [${CRC_INDEX_BITS - 1}:0] CRC_LAST = ${CRC_LAST_INDEX_LITERAL};
    localparam [${CRC_BITS - 1}:0] CRC_RESIDUE = ${CRC_RESIDUE_LITERAL};

    reg [2:0]  state;
    reg [${REQUEST_LEN_BITS - 1}:0]  frame_len;
    reg        frame_is_sync;
    reg [${QUEUE_ROW_BITS - 1}:0]  write_index;    // where the next byte goes: AT_LEN at the sync byte, then up
    reg        no_room;        // the queue was full at the sync byte: drop this frame
    reg [${CRC_INDEX_BITS - 1}:0]  crc_index;      // CRC byte being received, 0 = lowest
    // Whole idle bit times inside this frame, from the UART's bit timer (it counts from the
    // moment the receiver went idle: for a frame stalled right after its sync byte that is
    // one clock before the frame began, so the timeout comes one clock sooner).
    reg [${indexBits(IDLE_TIMEOUT_BITS) - 1}:0]  idle_bits;

    // CRC: each byte after the sync byte is stepped in LSB first over the next eight clocks;
    // rx_data holds it until the UART's next byte, some 10 * BIT_CYCLES (>= 40) clocks later.
    reg [3:0]  crc_bit;        // bit being stepped in; 8 = none (bit 3 set: idle)
    reg        check_pending;  // the last CRC byte is being stepped in: judge the frame after it
    wire       crc_stepping = !crc_bit[3];
    wire       crc_clear = rx_valid && (state == S_HUNT) && (rx_data == SYNC_BYTE);
    wire [${CRC_BITS - 1}:0] crc;
    ${CRC_MODULE} crc_register (
        .clk(clk), .clear(crc_clear), .step(crc_stepping), .din(rx_data[crc_bit[2:0]]), .crc(crc)
    );
    assign checking = check_pending;

    // Queue: frames in block RAM at {slot, byte}; only the SYNC flags in registers.
    reg [${IN_FLIGHT - 1}:0] queue_is_sync;
    reg [${slotBits - 1}:0] write_slot;
    reg [${slotBits - 1}:0] read_slot;
    reg [${countBits - 1}:0] queued;

    assign head_valid = (queued != ${lit(countBits, 0)});
    assign head_is_sync = queue_is_sync[read_slot];
    assign in_frame = (state != S_HUNT);

    // LEN, SEQ, OP and the payload are written as they arrive (a bad LEN too: harmless,
    // the slot is not claimed).
    wire [${QUEUE_INDEX_BITS - 1}:0] payload_count = write_index[${QUEUE_INDEX_BITS - 1}:0];  // in S_PAYLOAD
    // A SYNC is run as INFO (docs/protocol.md): its OP is stored as INFO's, so the sequencer
    // loads every command's OP the same way.
    wire [7:0] ram_data = (state == S_OP && rx_data == SYNC_OP) ? INFO_OP : rx_data;
    wire ram_write = rx_valid && !no_room && (state != S_HUNT) && (state != S_CRC);
    ${BRAM_MODULE} #(.ADDR_BITS(${slotBits + QUEUE_ROW_BITS})) payload_ram (
        .clk(clk),
        .write_enable(ram_write),
        .write_addr({write_slot, write_index}),
        .write_data(ram_data),
        .read_addr({read_slot, payload_index}),
        .read_data(payload_data)
    );

    wire crc_last = (state == S_CRC) && (crc_index == CRC_LAST);
    // The verdict, once the last CRC byte has been stepped in.
    wire check_now = check_pending && !crc_stepping;
    wire crc_ok = (crc == CRC_RESIDUE);
    wire push = check_now && crc_ok && !no_room;
    wire idle_expired = in_frame && rx_idle_tick && (idle_bits == IDLE_LAST);

    always @(posedge clk) begin
        frame_good <= 1'b0;
        frame_bad <= 1'b0;
        frame_overflow <= 1'b0;
        if (rst) begin
            state <= S_HUNT;
            frame_len <= ${lit(REQUEST_LEN_BITS, 0)};
            frame_is_sync <= 1'b0;
            write_index <= AT_LEN;
            no_room <= 1'b0;
            crc_index <= ${lit(CRC_INDEX_BITS, 0)};
            crc_bit <= 4'd8;
            check_pending <= 1'b0;
            idle_bits <= ${lit(indexBits(IDLE_TIMEOUT_BITS), 0)};
        end else begin
            if (rx_valid) write_index <= in_frame ? write_index + 1'b1 : AT_LEN;
            if (rx_valid && in_frame) crc_bit <= 4'd0;
            else if (crc_stepping) crc_bit <= crc_bit + 4'd1;
            if (check_now) begin
                check_pending <= 1'b0;
                if (!crc_ok) frame_bad <= 1'b1;
                else if (no_room) frame_overflow <= 1'b1;
                else frame_good <= 1'b1;
            end
            if (!(in_frame && rx_line_idle)) idle_bits <= ${lit(indexBits(IDLE_TIMEOUT_BITS), 0)};
            else if (rx_idle_tick) idle_bits <= idle_bits + 1'b1;
            if (idle_expired || (in_frame && rx_frame_error)) begin
                state <= S_HUNT;
                frame_bad <= 1'b1;
            end else if (rx_valid) begin
                case (state)
                    S_HUNT:
                        if (rx_data == SYNC_BYTE) begin
                            state <= S_LEN;
                            no_room <= (queued == QUEUE_SLOTS);
                        end
                    S_LEN:
                        if (rx_data > MAX_LEN) begin
                            state <= S_HUNT;   // the next byte is examined as a sync byte
                            frame_bad <= 1'b1;
                        end else begin
                            state <= S_SEQ;
                            frame_len <= rx_data[${REQUEST_LEN_BITS - 1}:0];
                        end
                    S_SEQ:
                        state <= S_OP;
                    S_OP: begin
                        state <= (frame_len == ${lit(REQUEST_LEN_BITS, 0)}) ? S_CRC : S_PAYLOAD;
                        frame_is_sync <= (rx_data == SYNC_OP);
                        crc_index <= ${lit(CRC_INDEX_BITS, 0)};
                    end
                    S_PAYLOAD: begin
                        if (payload_count + 1'b1 == frame_len) state <= S_CRC;
                    end
                    S_CRC:
                        if (!crc_last) crc_index <= crc_index + 1'b1;
                        else begin
                            state <= S_HUNT;
                            check_pending <= 1'b1;
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
        if (push) queue_is_sync[write_slot] <= frame_is_sync;
    end
endmodule

\`default_nettype wire
`;
  return { name: `${FRAME_RX_MODULE}.v`, text };
}
