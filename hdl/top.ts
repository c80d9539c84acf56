/** The whole design: core + serial link + LEDs + power-on reset, top module janela_top. */
import { parseCoreConfig, type CoreConfig } from '../spec/index.js';
import { generateCore } from './core/index.js';
import { LEDS_MODULE, LINK_MODULE, generateLink, linkParams } from './link/index.js';
import { CMD_DATA_BITS } from './link/sequencer.js';
import { header, type VerilogFile } from './verilog.js';

export const TOP_MODULE = 'janela_top';
export const CORE_MODULE = 'janela_core';
/** Clock cycles the power-on reset is held (iCE40 flip-flops start at 0, so a counter counts them). */
export const POWER_ON_RESET_CYCLES = 15;

export interface TopOptions {
  /** Overrides the UART bit period (simulation); the default comes from clockHz / baud. */
  readonly bitCycles?: number;
}

function generateTopModule(config: CoreConfig, bitCycles: number): VerilogFile {
  const text = `${header(TOP_MODULE, 'janela board top: core, serial link, LEDs, power-on reset', {
    ...config,
    BIT_CYCLES: bitCycles,
  })}
\`default_nettype none

module ${TOP_MODULE} #(
    parameter integer BIT_CYCLES = ${bitCycles}
) (
    input  wire       clk,
    input  wire       uart_rx,
    output wire       uart_tx,
    output wire [4:0] led
);
    // Power-on reset: iCE40 flip-flops start at 0, so this counter holds reset for its
    // first ${POWER_ON_RESET_CYCLES} cycles, then stops.
    reg [3:0] por_count = 4'd0;
    wire rst = (por_count != 4'd${POWER_ON_RESET_CYCLES});
    always @(posedge clk) if (rst) por_count <= por_count + 4'd1;

    wire        cmd_valid, cmd_ready, rsp_valid, rsp_last;
    wire [7:0]  cmd_op, cmd_len, rsp_data;
    wire [${CMD_DATA_BITS - 1}:0] cmd_data;
    ${CORE_MODULE} core (
        .clk(clk), .rst(rst),
        .cmd_valid(cmd_valid), .cmd_ready(cmd_ready), .cmd_op(cmd_op), .cmd_len(cmd_len), .cmd_data(cmd_data),
        .rsp_valid(rsp_valid), .rsp_data(rsp_data), .rsp_last(rsp_last)
    );

    wire frame_good, frame_dropped, frame_sent, receiving, quiet;
    ${LINK_MODULE} #(.BIT_CYCLES(BIT_CYCLES)) link (
        .clk(clk), .rst(rst), .uart_rx(uart_rx), .uart_tx(uart_tx),
        .cmd_valid(cmd_valid), .cmd_ready(cmd_ready), .cmd_op(cmd_op), .cmd_len(cmd_len), .cmd_data(cmd_data),
        .rsp_valid(rsp_valid), .rsp_data(rsp_data), .rsp_last(rsp_last),
        .frame_good(frame_good), .frame_dropped(frame_dropped), .frame_sent(frame_sent),
        .receiving(receiving), .quiet(quiet)
    );

    ${LEDS_MODULE} leds (
        .clk(clk), .rst(rst),
        .activity(frame_good || frame_sent), .error(frame_dropped),
        .cmd_fire(cmd_valid && cmd_ready), .cmd_op(cmd_op),
        .rsp_valid(rsp_valid), .rsp_data(rsp_data),
        .led(led)
    );

    // Read by the simulation harness (sim/pty) to sleep when the design has nothing to do;
    // synthesis ignores the comment.
    wire sim_quiet /*verilator public_flat_rd*/ = quiet && !rst;
    wire sim_receiving /*verilator public_flat_rd*/ = receiving;
endmodule

\`default_nettype wire
`;
  return { name: `${TOP_MODULE}.v`, text };
}

/**
 * Every file of the design with the given core files: core, link, top. Tests use it with a
 * stand-in core; generateTop uses the real one.
 */
export function generateTopWithCore(
  config: CoreConfig,
  coreFiles: readonly VerilogFile[],
  options: TopOptions = {},
): VerilogFile[] {
  const checked = parseCoreConfig(config);
  const { bitCycles } = linkParams(checked, options);
  return [...coreFiles, ...generateLink(checked, { bitCycles }), generateTopModule(checked, bitCycles)];
}

/**
 * Every file of the board's design: the core (hdl/core), the serial link (hdl/link) and
 * janela_top. Throws ConfigError for a bad config or a baud the clock cannot make.
 */
export function generateTop(config: CoreConfig, options: TopOptions = {}): VerilogFile[] {
  const checked = parseCoreConfig(config);
  return generateTopWithCore(checked, generateCore(checked), options);
}
