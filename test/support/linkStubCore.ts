/**
 * A stand-in janela_core for testing the link alone: same ports as the real core
 * (docs/hardware.md), with behaviour that makes the link's work visible.
 *
 * - INFO (0x01): OK and the INFO payload for the config (as the real core answers).
 * - LONG_OP (0x13, RECALL's code): OK and a MAX_RESPONSE_PAYLOAD-byte payload, byte i =
 *   (i + executed) mod 256: the longest response there is.
 * - anything else: OK and `executed, op, len, payload…`, where `executed` counts commands
 *   run so far: a replayed answer keeps its old count, a re-executed one would not.
 *
 * `latency` cycles pass between accepting a command and the status byte, so tests can
 * keep the core busy while frames pile up in the request queue.
 */
import { DEFAULT_WEIGHTS, INFO_LAYOUT, MAX_PAGE, MAX_RESPONSE_PAYLOAD, OPS, PROTOCOL_VERSION, buildId, layoutBytes, type CoreConfig } from '../../spec/index.js';
import type { VerilogFile } from '../../hdl/verilog.js';

export const STUB_LONG_OP = OPS.recall.code;

/** The INFO payload the stub (and the real core) returns for a config. */
export function infoPayload(config: CoreConfig): number[] {
  const id = buildId(config);
  const weights = config.weights ?? DEFAULT_WEIGHTS;
  const bytes = [
    PROTOCOL_VERSION,
    config.maxWindows,
    config.minWindows,
    config.capacity & 0xff,
    config.capacity >> 8,
    config.quota & 0xff,
    config.quota >> 8,
    MAX_PAGE,
    ...weights,
    id & 0xff,
    (id >>> 8) & 0xff,
    (id >>> 16) & 0xff,
    id >>> 24,
  ];
  if (bytes.length !== layoutBytes(INFO_LAYOUT.fields)) throw new Error('INFO layout changed: update the stub');
  return bytes;
}

export function stubCore(config: CoreConfig, latency = 8): VerilogFile[] {
  const info = infoPayload(config);
  const infoArms = info.map((b, i) => `            8'd${i + 1}: info_byte = 8'h${b.toString(16)};`).join('\n');
  const text = `// janela_core stand-in for link tests (test/support/linkStubCore.ts)
\`default_nettype none

module janela_core #(
    parameter integer LATENCY = ${latency}
) (
    input  wire         clk,
    input  wire         rst,
    input  wire         cmd_valid,
    output wire         cmd_ready,
    input  wire [7:0]   cmd_op,
    input  wire [7:0]   cmd_len,
    input  wire [119:0] cmd_data,
    output wire         rsp_valid,
    output wire [7:0]   rsp_data,
    output wire         rsp_last
);
    localparam [7:0] INFO_OP = 8'h${OPS.info.code.toString(16)};
    localparam [7:0] LONG_OP = 8'h${STUB_LONG_OP.toString(16)};
    localparam [7:0] INFO_TOTAL = 8'd${info.length + 1};
    localparam [7:0] LONG_TOTAL = 8'd${MAX_RESPONSE_PAYLOAD + 1};
    localparam [31:0] LATENCY_32 = LATENCY;

    reg         busy;
    reg [31:0]  wait_count;
    reg [7:0]   index;
    reg [7:0]   op;
    reg [7:0]   len;
    reg [119:0] data;
    reg [7:0]   executed;

    function automatic [7:0] info_byte(input [7:0] i);
        case (i)
${infoArms}
            default: info_byte = 8'h00;
        endcase
    endfunction

    wire [7:0] total = (op == INFO_OP) ? INFO_TOTAL : (op == LONG_OP) ? LONG_TOTAL : 8'd4 + len;
    wire [7:0] payload_index = index - 8'd1;
    wire [3:0] echo_index = index[3:0] - 4'd4;
    wire [7:0] echo_byte = data[{echo_index, 3'b000} +: 8];
    reg  [7:0] byte_out;
    always @* begin
        if (index == 8'd0) byte_out = 8'h00;
        else if (op == INFO_OP) byte_out = info_byte(index);
        else if (op == LONG_OP) byte_out = payload_index + executed;
        else if (index == 8'd1) byte_out = executed;
        else if (index == 8'd2) byte_out = op;
        else if (index == 8'd3) byte_out = len;
        else byte_out = echo_byte;
    end

    wire emitting = busy && (wait_count == LATENCY_32);
    assign cmd_ready = !busy;
    assign rsp_valid = emitting;
    assign rsp_data = byte_out;
    assign rsp_last = emitting && (index + 8'd1 == total);

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            wait_count <= 32'd0;
            index <= 8'd0;
            op <= 8'd0;
            len <= 8'd0;
            data <= 120'd0;
            executed <= 8'd0;
        end else if (!busy) begin
            if (cmd_valid) begin
                busy <= 1'b1;
                wait_count <= 32'd0;
                index <= 8'd0;
                op <= cmd_op;
                len <= cmd_len;
                data <= cmd_data;
            end
        end else if (!emitting) begin
            wait_count <= wait_count + 32'd1;
        end else begin
            index <= index + 8'd1;
            if (rsp_last) begin
                busy <= 1'b0;
                executed <= executed + 8'd1;
            end
        end
    end
endmodule

\`default_nettype wire
`;
  return [{ name: 'janela_core.v', text }];
}
