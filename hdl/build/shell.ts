/**
 * The board shell: `janela_board`, a thin top level around janela_top made from the
 * board table. It gives the pins their board names, inverts active-low LEDs, routes
 * resistor-less RGB LEDs through SB_RGBA_DRV and drives tie-high pins. janela_top stays
 * board-independent (the gate-level tests synthesise it alone).
 */
import { DEVICES, LED_BITS, type Board } from '../../constraints/boards.js';
import { header, type VerilogFile } from '../verilog.js';

export const SHELL_TOP = 'janela_board';
export const CORE_TOP = 'janela_top';

export function boardShell(board: Board): VerilogFile {
  const ports = [
    `    input  wire ${board.clock.port}`,
    '    input  wire uart_rx',
    '    output wire uart_tx',
    ...board.leds.filter((l) => l.drive !== 'rgb').map((l) => `    output wire ${l.port}`),
    ...board.leds.filter((l) => l.drive === 'rgb').map((l) => `    output wire ${l.port}`),
    ...board.tieHigh.map((t) => `    output wire ${t.port}`),
  ];
  const body: string[] = [
    `    wire [${LED_BITS - 1}:0] led;`,
    '',
    `    ${CORE_TOP} core (`,
    `        .clk(${board.clock.port}),`,
    '        .uart_rx(uart_rx),',
    '        .uart_tx(uart_tx),',
    '        .led(led)',
    '    );',
    '',
  ];
  for (const l of board.leds) {
    if (l.drive === 'high') body.push(`    assign ${l.port} = led[${l.bit}];  // ${l.label}`);
    if (l.drive === 'low') body.push(`    assign ${l.port} = ~led[${l.bit}];  // ${l.label}, active low`);
  }
  for (const t of board.tieHigh) body.push(`    assign ${t.port} = 1'b1;  // ${t.why}`);

  const rgb = board.leds.filter((l) => l.drive === 'rgb');
  if (rgb.length) {
    // The RGB pins are hard-wired to the driver's channels: RGB0 = rgbPins[0], and so on.
    const rgbPins: readonly number[] = DEVICES[board.device].rgbPins;
    const channel = (n: number) => rgb.find((l) => l.pin === rgbPins[n]);
    const pwm = (n: number) => (channel(n) ? `led[${channel(n)!.bit}]` : "1'b0");
    body.push(
      '',
      '    // Constant-current sink: half-current mode, lowest setting (about 2 mA per LED).',
      '    SB_RGBA_DRV #(',
      '        .CURRENT_MODE("0b1"),',
      '        .RGB0_CURRENT("0b000001"),',
      '        .RGB1_CURRENT("0b000001"),',
      '        .RGB2_CURRENT("0b000001")',
      '    ) rgb_driver (',
      "        .CURREN(1'b1),",
      "        .RGBLEDEN(1'b1),",
      `        .RGB0PWM(${pwm(0)}),`,
      `        .RGB1PWM(${pwm(1)}),`,
      `        .RGB2PWM(${pwm(2)}),`,
      ...[0, 1, 2].map((n) => `        .RGB${n}(${channel(n)?.port ?? ''})${n < 2 ? ',' : ''}`),
      '    );',
    );
  }

  const text = `${header(SHELL_TOP, `board shell for ${board.title}`, { board: board.name })}\`default_nettype none

module ${SHELL_TOP} (
${ports.join(',\n')}
);
${body.join('\n')}
endmodule

\`default_nettype wire
`;
  return { name: `${SHELL_TOP}.v`, text };
}
