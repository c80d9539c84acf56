/** UART transmitter, 8N1, LSB first: janela_uart_tx. */
import { header, type VerilogFile } from '../verilog.js';

export const UART_TX_MODULE = 'janela_uart_tx';

/**
 * valid/ready input. `ready` is also high in the last cycle of a stop bit, so a sender
 * that holds its next byte valid gets back-to-back frames with no idle gap: the line is
 * the only limit on throughput.
 */
export function generateUartTx(bitCycles: number): VerilogFile {
  const text = `${header(UART_TX_MODULE, 'UART transmitter, 8N1, back-to-back capable', { BIT_CYCLES: bitCycles })}
\`default_nettype none

module ${UART_TX_MODULE} #(
    parameter integer BIT_CYCLES = ${bitCycles}
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       valid,
    input  wire [7:0] data,
    output wire       ready,
    output wire       tx,
    output wire       busy
);
    localparam integer TICK_BITS = $clog2(BIT_CYCLES);
    localparam [31:0] LAST_32 = BIT_CYCLES - 1;
    localparam [TICK_BITS-1:0] LAST_TICK = LAST_32[TICK_BITS-1:0];

    // Bits still to send, LSB first: start, 8 data, stop. Kept inverted, so the all-zero
    // power-up value of an iCE40 flip-flop already drives the idle (high) line.
    reg [9:0]           shift_n;
    reg [3:0]           bits_left;
    reg [TICK_BITS-1:0] tick;

    wire bit_done = (tick == LAST_TICK);
    assign busy  = (bits_left != 4'd0);
    assign ready = !busy || (bits_left == 4'd1 && bit_done);
    assign tx    = !shift_n[0];

    always @(posedge clk) begin
        if (rst) begin
            shift_n <= 10'd0;
            bits_left <= 4'd0;
            tick <= {TICK_BITS{1'b0}};
        end else if (valid && ready) begin
            shift_n <= ~{1'b1, data, 1'b0};
            bits_left <= 4'd10;
            tick <= {TICK_BITS{1'b0}};
        end else if (busy) begin
            if (bit_done) begin
                shift_n <= {1'b0, shift_n[9:1]};
                bits_left <= bits_left - 1'b1;
                tick <= {TICK_BITS{1'b0}};
            end else begin
                tick <= tick + 1'b1;
            end
        end
    end
endmodule

\`default_nettype wire
`;
  return { name: `${UART_TX_MODULE}.v`, text };
}
