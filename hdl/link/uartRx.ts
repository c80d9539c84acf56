/** UART receiver, 8N1, LSB first: janela_uart_rx. */
import { header, type VerilogFile } from '../verilog.js';

export const UART_RX_MODULE = 'janela_uart_rx';

/**
 * A 2-FF synchroniser, then a start-bit detector that re-checks the start bit at its
 * middle (a glitch shorter than half a bit is ignored) and samples each data bit and the
 * stop bit at their middles. A low stop bit is a framing error: the byte is dropped and
 * the receiver waits for the line to go high again, so a break reads as one error, not a
 * stream of zero bytes. It returns to idle at the middle of the stop bit, which leaves
 * half a bit of slack for a sender whose clock is a little fast.
 *
 * While idle the bit timer keeps running from the moment the receiver went idle, and
 * `idle_tick` marks each whole bit time of a high line: the frame parser counts its idle
 * timeout in those instead of in clocks.
 */
export function generateUartRx(bitCycles: number): VerilogFile {
  const text = `${header(UART_RX_MODULE, 'UART receiver, 8N1, mid-bit sampling', { BIT_CYCLES: bitCycles })}
\`default_nettype none

module ${UART_RX_MODULE} #(
    parameter integer BIT_CYCLES = ${bitCycles}
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rx,
    output reg        valid,       // one-cycle pulse: data holds a received byte
    output reg  [7:0] data,
    output reg        frame_error, // one-cycle pulse: a byte whose stop bit was low
    output wire       line_idle,   // no byte in progress and the line is high
    output wire       idle_tick    // with line_idle: another bit time since the receiver went idle
);
    localparam integer TICK_BITS = $clog2(BIT_CYCLES);
    localparam [31:0] LAST_32 = BIT_CYCLES - 1;
    localparam [31:0] HALF_32 = BIT_CYCLES / 2 - 1;
    localparam [TICK_BITS-1:0] LAST_TICK = LAST_32[TICK_BITS-1:0];
    localparam [TICK_BITS-1:0] HALF_TICK = HALF_32[TICK_BITS-1:0];

    localparam [2:0] S_IDLE = 3'd0, S_START = 3'd1, S_DATA = 3'd2, S_STOP = 3'd3, S_WAIT_HIGH = 3'd4;

    // Reset to the idle level, so power-up does not look like a start bit.
    reg rx_meta, rx_sync;
    always @(posedge clk) begin
        if (rst) begin
            rx_meta <= 1'b1;
            rx_sync <= 1'b1;
        end else begin
            rx_meta <= rx;
            rx_sync <= rx_meta;
        end
    end

    reg [2:0]           state;
    reg [TICK_BITS-1:0] tick;      // cycles left until the next sample point
    reg [2:0]           bit_index;
    reg [7:0]           shift;

    assign line_idle = (state == S_IDLE) && rx_sync;

    // The bit timer counts down to each sample point and starts again. Idle, it counts whole
    // bit times from the moment the receiver went idle (S_WAIT_HIGH holds it ready for that).
    wire tick_done = (tick == {TICK_BITS{1'b0}});
    assign idle_tick = line_idle && tick_done;
    always @(posedge clk) begin
        if (rst || state == S_WAIT_HIGH) tick <= LAST_TICK;
        else if (state == S_IDLE && !rx_sync) tick <= HALF_TICK;
        else tick <= tick_done ? LAST_TICK : tick - 1'b1;
    end

    always @(posedge clk) begin
        valid <= 1'b0;
        frame_error <= 1'b0;
        if (rst) begin
            state <= S_IDLE;
            bit_index <= 3'd0;
            shift <= 8'd0;
            data <= 8'd0;
        end else begin
            case (state)
                S_IDLE:
                    if (!rx_sync) state <= S_START;
                S_START:
                    if (tick_done) begin
                        if (rx_sync) state <= S_IDLE;   // too short: a glitch, not a start bit
                        else begin
                            state <= S_DATA;
                            bit_index <= 3'd0;
                        end
                    end
                S_DATA:
                    if (tick_done) begin
                        shift <= {rx_sync, shift[7:1]};
                        bit_index <= bit_index + 1'b1;
                        if (bit_index == 3'd7) state <= S_STOP;
                    end
                S_STOP:
                    if (tick_done) begin
                        if (rx_sync) begin
                            state <= S_IDLE;
                            valid <= 1'b1;
                            data <= shift;
                        end else begin
                            state <= S_WAIT_HIGH;
                            frame_error <= 1'b1;
                        end
                    end
                S_WAIT_HIGH:
                    if (rx_sync) state <= S_IDLE;
                default:
                    state <= S_IDLE;
            endcase
        end
    end
endmodule

\`default_nettype wire
`;
  return { name: `${UART_RX_MODULE}.v`, text };
}
