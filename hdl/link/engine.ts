/** The frame engine: UART, request queue, sequencer, response RAM and transmitter wired together. */
import { IN_FLIGHT } from '../../spec/index.js';
import { header, type VerilogFile } from '../verilog.js';
import { BRAM_MODULE } from './bram.js';
import { FRAME_RX_MODULE } from './frameRx.js';
import { QUEUE_ROW_BITS, indexBits, type LinkParams } from './params.js';
import { CMD_DATA_BITS, SEQUENCER_MODULE } from './sequencer.js';
import { TX_SCHEDULER_MODULE } from './txScheduler.js';
import { UART_RX_MODULE } from './uartRx.js';
import { UART_TX_MODULE } from './uartTx.js';

export const LINK_MODULE = 'janela_link';

export function generateEngine(params: LinkParams): VerilogFile {
  const { ring, bitCycles } = params;
  const slotW = ring.slotBits;
  const addrW = ring.addrBits;
  const text = `${header(LINK_MODULE, 'serial link: frames in, core commands, frames out', {
    BIT_CYCLES: bitCycles,
    IN_FLIGHT,
    RING_ADDR_BITS: addrW,
  })}
\`default_nettype none

module ${LINK_MODULE} #(
    parameter integer BIT_CYCLES = ${bitCycles}
) (
    input  wire         clk,
    input  wire         rst,
    input  wire         uart_rx,
    output wire         uart_tx,
    // the core's command interface (docs/hardware.md)
    output wire         cmd_valid,
    input  wire         cmd_ready,
    output wire [7:0]   cmd_op,
    output wire [7:0]   cmd_len,
    output wire [${CMD_DATA_BITS - 1}:0] cmd_data,
    input  wire         rsp_valid,
    input  wire [7:0]   rsp_data,
    input  wire         rsp_last,
    // status
    output wire         frame_good,      // a good request frame was queued
    output wire         frame_dropped,   // a request frame was dropped: bad, timed out or no room
    output wire         frame_sent,      // a response frame starts
    output wire         receiving,       // the parser is inside a frame
    output wire         quiet            // nothing queued, running or being sent
);
    wire       rx_valid, rx_frame_error, rx_line_idle, rx_idle_tick;
    wire [7:0] rx_data;
    ${UART_RX_MODULE} #(.BIT_CYCLES(BIT_CYCLES)) receiver (
        .clk(clk), .rst(rst), .rx(uart_rx),
        .valid(rx_valid), .data(rx_data), .frame_error(rx_frame_error), .line_idle(rx_line_idle),
        .idle_tick(rx_idle_tick)
    );

    wire        head_valid, head_pop;
    wire        head_is_sync;
    wire [7:0]  payload_data;
    wire [${QUEUE_ROW_BITS - 1}:0]  payload_index;
    wire        frame_bad, frame_overflow, frame_checking;
    ${FRAME_RX_MODULE} parser (
        .clk(clk), .rst(rst),
        .rx_valid(rx_valid), .rx_data(rx_data), .rx_frame_error(rx_frame_error), .rx_line_idle(rx_line_idle), .rx_idle_tick(rx_idle_tick),
        .head_valid(head_valid), .head_is_sync(head_is_sync),
        .head_pop(head_pop), .payload_index(payload_index), .payload_data(payload_data),
        .frame_good(frame_good), .frame_bad(frame_bad), .frame_overflow(frame_overflow),
        .in_frame(receiving), .checking(frame_checking)
    );
    assign frame_dropped = frame_bad || frame_overflow;

    wire        ring_write;
    wire [${addrW - 1}:0]  ring_write_addr, ring_read_addr;
    wire [7:0]  ring_write_data, ring_read_data;
    wire        job_push, job_full;
    wire [${slotW - 1}:0]  job_slot;
    wire [${indexBits(ring.scratchSlot + 1) - 1}:0]  busy_query;
    wire        busy_answer;
    wire        sequencer_idle;
    ${SEQUENCER_MODULE} sequencer (
        .clk(clk), .rst(rst),
        .head_valid(head_valid), .head_is_sync(head_is_sync),
        .head_pop(head_pop), .payload_index(payload_index), .payload_data(payload_data),
        .cmd_valid(cmd_valid), .cmd_ready(cmd_ready), .cmd_op(cmd_op), .cmd_len(cmd_len), .cmd_data(cmd_data),
        .rsp_valid(rsp_valid), .rsp_data(rsp_data), .rsp_last(rsp_last),
        .ring_write(ring_write), .ring_addr(ring_write_addr), .ring_data(ring_write_data),
        .job_push(job_push), .job_slot(job_slot), .job_full(job_full), .busy_query(busy_query), .busy_answer(busy_answer),
        .idle(sequencer_idle)
    );

    ${BRAM_MODULE} #(.ADDR_BITS(${addrW})) response_ram (
        .clk(clk),
        .write_enable(ring_write), .write_addr(ring_write_addr), .write_data(ring_write_data),
        .read_addr(ring_read_addr), .read_data(ring_read_data)
    );

    wire       tx_valid, tx_ready, tx_busy, scheduler_idle;
    wire [7:0] tx_data;
    ${TX_SCHEDULER_MODULE} scheduler (
        .clk(clk), .rst(rst),
        .job_push(job_push), .job_slot(job_slot), .job_full(job_full), .busy_query(busy_query), .busy_answer(busy_answer),
        .ring_addr(ring_read_addr), .ring_data(ring_read_data),
        .tx_valid(tx_valid), .tx_data(tx_data), .tx_ready(tx_ready),
        .idle(scheduler_idle), .frame_start(frame_sent)
    );

    ${UART_TX_MODULE} #(.BIT_CYCLES(BIT_CYCLES)) transmitter (
        .clk(clk), .rst(rst),
        .valid(tx_valid), .data(tx_data), .ready(tx_ready), .tx(uart_tx), .busy(tx_busy)
    );

    // A frame whose CRC is still being judged may yet be queued: not quiet.
    assign quiet = !head_valid && !frame_checking && sequencer_idle && scheduler_idle && !tx_busy;
endmodule

\`default_nettype wire
`;
  return { name: `${LINK_MODULE}.v`, text };
}
