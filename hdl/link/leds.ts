/** The board's five LEDs: janela_status_leds. */
import { OPS, STATUS, type CoreConfig } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';

export const LEDS_MODULE = 'janela_status_leds';

/**
 * LED timing: a free-running counter of this many bits wraps about 16 times a second,
 * and a pulse lights its LED until the wrap after next (1/16 s to 1/8 s): long enough to
 * see, and one shared counter instead of one per LED.
 */
export function ledPeriodBits(config: CoreConfig): number {
  return Math.max(1, Math.round(Math.log2(config.clockHz / 16)));
}

/**
 * led[0]: activity, lit for a while after each good request frame or response frame.
 * led[1]: error, lit for a while after a dropped request frame (bad LEN, CRC, framing
 *         error, idle timeout, or no room in the queue).
 * led[4:2]: open windows, min(count, 7), followed by watching the command interface:
 *         an OPEN answered OK adds one, a CLOSE answered OK takes one away. The core's
 *         ports carry no count, and this keeps the core's interface exactly as documented.
 */
export function generateLeds(config: CoreConfig): VerilogFile {
  const periodBits = ledPeriodBits(config);
  const text = `${header(LEDS_MODULE, 'activity, error and open-window LEDs', {
    PERIOD_BITS: periodBits,
    minWindows: config.minWindows,
  })}
\`default_nettype none

module ${LEDS_MODULE} #(
    parameter integer PERIOD_BITS = ${periodBits}
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       activity,   // pulses
    input  wire       error,
    input  wire       cmd_fire,   // cmd_valid && cmd_ready
    input  wire [7:0] cmd_op,
    input  wire       rsp_valid,
    input  wire [7:0] rsp_data,
    output wire [4:0] led
);
    localparam [7:0] OPEN_OP = ${lit(8, OPS.open.code)};
    localparam [7:0] CLOSE_OP = ${lit(8, OPS.close.code)};
    localparam [7:0] STATUS_OK = ${lit(8, STATUS.ok.code)};
    localparam [3:0] MIN_WINDOWS = ${lit(4, config.minWindows)};

    reg [PERIOD_BITS-1:0] period;
    wire period_end = &period;
    // seen: a pulse in the current period; shown: one in the current or the last period.
    reg activity_seen, activity_shown, error_seen, error_shown;
    reg [7:0] last_op;
    reg       awaiting_status;  // the next response byte is the status of last_op
    reg [3:0] open_windows;
    // The command and response signals arrive through a register stage: the LEDs may lag a
    // cycle, and the core's and link's paths end here instead of at the counter's enable.
    reg       cmd_fire_q, rsp_valid_q, ok_q;
    reg [7:0] cmd_op_q;
    always @(posedge clk) begin
        cmd_fire_q <= cmd_fire && !rst;
        cmd_op_q <= cmd_op;
        rsp_valid_q <= rsp_valid && !rst;
        ok_q <= (rsp_data == STATUS_OK);
    end
    wire open_ok = ok_q && (last_op == OPEN_OP);
    wire close_ok = ok_q && (last_op == CLOSE_OP);

    always @(posedge clk) begin
        if (rst) begin
            period <= {PERIOD_BITS{1'b0}};
            activity_seen <= 1'b0;
            activity_shown <= 1'b0;
            error_seen <= 1'b0;
            error_shown <= 1'b0;
            last_op <= 8'd0;
            awaiting_status <= 1'b0;
            open_windows <= MIN_WINDOWS;
        end else begin
            period <= period + 1'b1;
            activity_seen <= activity || (activity_seen && !period_end);
            error_seen <= error || (error_seen && !period_end);
            if (period_end) begin
                activity_shown <= activity_seen;
                error_shown <= error_seen;
            end
            if (cmd_fire_q) begin
                last_op <= cmd_op_q;
                awaiting_status <= 1'b1;
            end else if (rsp_valid_q && awaiting_status) begin
                awaiting_status <= 1'b0;
                if (open_ok) open_windows <= open_windows + 4'd1;
                if (close_ok) open_windows <= open_windows - 4'd1;
            end
        end
    end

    assign led[0] = activity_seen || activity_shown;
    assign led[1] = error_seen || error_shown;
    assign led[4:2] = (open_windows > 4'd7) ? 3'd7 : open_windows[2:0];
endmodule

\`default_nettype wire
`;
  return { name: `${LEDS_MODULE}.v`, text };
}
