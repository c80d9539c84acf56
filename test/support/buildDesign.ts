/**
 * Small designs for the build-flow tests, with janela_top's ports (clk, uart_rx, uart_tx,
 * led[4:0]) so they go through the same board shell as the real core.
 */
import type { VerilogFile } from '../../hdl/verilog.js';

/**
 * A UART echo through a 256-byte FIFO in block RAM: every byte received is sent back.
 * LEDs: 0 heartbeat, 1 receiving, 2 sending, 3 FIFO not empty, 4 framing error seen.
 */
export function echoDesign(opts: { bitCycles: number }): VerilogFile[] {
  const bit = opts.bitCycles;
  const text = `// UART echo test design (bit period ${bit} cycles)
\`default_nettype none
module janela_top (
    input  wire       clk,
    input  wire       uart_rx,
    output wire       uart_tx,
    output wire [4:0] led
);
    localparam integer BIT = ${bit};

    reg [1:0] rx_sync = 2'b11;
    always @(posedge clk) rx_sync <= {rx_sync[0], uart_rx};
    wire rx = rx_sync[1];

    reg [15:0] rx_cnt = 0;
    reg [3:0]  rx_bit = 0;
    reg        rx_busy = 0;
    reg [7:0]  rx_shift = 0;
    reg        rx_valid = 0;
    reg [7:0]  rx_data = 0;
    reg        rx_error = 0;
    always @(posedge clk) begin
        rx_valid <= 1'b0;
        if (!rx_busy) begin
            if (!rx) begin
                rx_busy <= 1'b1;
                rx_cnt <= BIT / 2;
                rx_bit <= 0;
            end
        end else if (rx_cnt != 0) begin
            rx_cnt <= rx_cnt - 1'b1;
        end else begin
            rx_cnt <= BIT - 1;
            if (rx_bit == 0) begin
                if (rx) rx_busy <= 1'b0;
                rx_bit <= 1;
            end else if (rx_bit <= 8) begin
                rx_shift <= {rx, rx_shift[7:1]};
                rx_bit <= rx_bit + 1'b1;
            end else begin
                rx_busy <= 1'b0;
                if (rx) begin
                    rx_valid <= 1'b1;
                    rx_data <= rx_shift;
                end else begin
                    rx_error <= 1'b1;
                end
            end
        end
    end

    reg [7:0] fifo [0:255];
    reg [7:0] wp = 0;
    reg [7:0] rp = 0;
    reg [7:0] rd;
    always @(posedge clk) begin
        if (rx_valid) fifo[wp] <= rx_data;
        rd <= fifo[rp];
    end
    always @(posedge clk) if (rx_valid) wp <= wp + 1'b1;

    reg [1:0]  tx_state = 0;
    reg [9:0]  tx_shift = 10'h3ff;
    reg [15:0] tx_cnt = 0;
    reg [3:0]  tx_bits = 0;
    always @(posedge clk) begin
        case (tx_state)
            2'd0: if (wp != rp) tx_state <= 2'd1;
            2'd1: begin
                tx_shift <= {1'b1, rd, 1'b0};
                rp <= rp + 1'b1;
                tx_cnt <= BIT - 1;
                tx_bits <= 4'd10;
                tx_state <= 2'd2;
            end
            default: begin
                if (tx_cnt != 0) begin
                    tx_cnt <= tx_cnt - 1'b1;
                end else begin
                    tx_cnt <= BIT - 1;
                    tx_shift <= {1'b1, tx_shift[9:1]};
                    tx_bits <= tx_bits - 1'b1;
                    if (tx_bits == 4'd1) tx_state <= 2'd0;
                end
            end
        endcase
    end
    assign uart_tx = tx_shift[0];

    reg [23:0] beat = 0;
    always @(posedge clk) beat <= beat + 1'b1;
    assign led = {rx_error, wp != rp, tx_state == 2'd2, rx_busy, beat[23]};
endmodule
\`default_nettype wire
`;
  return [{ name: 'janela_top.v', text }];
}

/** A design that needs `blocks` SB_RAM40_4K (256 × 16 each, all observable on uart_tx). */
export function bramHogDesign(blocks: number): VerilogFile[] {
  const mems = Array.from({ length: blocks }, (_, i) => `
    reg [15:0] m${i} [0:255];
    reg [15:0] q${i};
    always @(posedge clk) begin
        if (uart_rx) m${i}[a] <= {a, a ^ 8'd${i & 255}};
        q${i} <= m${i}[a];
    end`).join('\n');
  const text = `\`default_nettype none
module janela_top (
    input  wire       clk,
    input  wire       uart_rx,
    output wire       uart_tx,
    output wire [4:0] led
);
    reg [7:0] a = 0;
    always @(posedge clk) a <= a + 1'b1;
${mems}
    assign uart_tx = ^{${Array.from({ length: blocks }, (_, i) => `q${i}`).join(', ')}};
    assign led = q0[4:0];
endmodule
\`default_nettype wire
`;
  return [{ name: 'janela_top.v', text }];
}
