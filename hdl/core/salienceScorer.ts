/**
 * Salience scorer: the composite of spec/salience.ts compositeSalience, (Σ wᵢ·xᵢ + 128) >> 8
 * with x_valence = |valence|. Two builds of the same arithmetic (config.scorer):
 *
 * - parallel: five 8×8 products and an adder tree, combinational (DSPs on UltraPlus parts);
 * - serial: Horner over the weight bits, MSB first, one component per clock:
 *   Σ_b 2^b · Σ_i w_i[b]·x_i, so one 16-bit adder and 40 clocks replace five multipliers
 *   (≈ 900 LUTs on a part without DSPs).
 */
import { SALIENCE_COMPONENTS, VALENCE_INDEX, WEIGHT_SUM, type CoreConfig } from '../../spec/index.js';
import { header, type VerilogFile } from '../verilog.js';
import { MODULES } from './shape.js';

/** Clocks from `start` until the serial scorer's result is ready (busy falls). */
export const SERIAL_SCORER_CYCLES = 8 * SALIENCE_COMPONENTS.length + 1;

const valence = SALIENCE_COMPONENTS[VALENCE_INDEX]!;

/** Component and weight wires, and |valence| (|−128| = 128 still fits u8, so the negation never overflows). */
function unpack(): string {
  const lines: string[] = [];
  SALIENCE_COMPONENTS.forEach((c, i) => {
    lines.push(`    wire [7:0]  ${c} = salience[${8 * i + 7}:${8 * i}];`);
    lines.push(`    wire [7:0]  w_${c} = weights[${8 * i + 7}:${8 * i}];`);
  });
  lines.push(`    wire [7:0]  ${valence}_magnitude = ${valence}[7] ? (~${valence} + 8'd1) : ${valence};`);
  return lines.join('\n');
}

const operand = (c: string, i: number) => (i === VALENCE_INDEX ? `${c}_magnitude` : c);

function parallelBody(): string {
  const products = SALIENCE_COMPONENTS.map(
    (c, i) => `    wire [15:0] product_${c} = {8'd0, w_${c}} * {8'd0, ${operand(c, i)}};`,
  );
  return `module ${MODULES.scorer} (
    input  wire [39:0] salience,   // component i in bits 8i+7:8i, valence signed
    input  wire [39:0] weights,    // weight i in bits 8i+7:8i, summing to ${WEIGHT_SUM}
    output wire [7:0]  composite
);
${unpack()}

${products.join('\n')}

    // Weights sum to ${WEIGHT_SUM}, so the sum is at most 256 * 255 and the rounded sum fits 16 bits.
    wire [15:0] rounded_sum = ${SALIENCE_COMPONENTS.map((c) => `product_${c}`).join(' + ')} + 16'd128;
    assign composite = rounded_sum[15:8];
    wire unused_fraction = &{1'b0, rounded_sum[7:0]};
endmodule`;
}

function serialBody(): string {
  const n = SALIENCE_COMPONENTS.length;
  const last = n - 1;
  const pick = (what: (c: string, i: number) => string, width: string) =>
    SALIENCE_COMPONENTS.map((c, i) => `            3'd${i}: ${what(c, i)};`).join('\n') + `\n            default: ${width};`;
  return `module ${MODULES.scorer} (
    input  wire        clk,
    input  wire        rst,
    input  wire        start,      // salience and weights hold from the next clock until busy falls
    input  wire [39:0] salience,   // component i in bits 8i+7:8i, valence signed
    input  wire [39:0] weights,    // weight i in bits 8i+7:8i, summing to ${WEIGHT_SUM}
    output wire [7:0]  composite,  // valid while busy is low after a start
    output wire        busy
);
${unpack()}

    reg         running;
    reg [2:0]   weight_bit;   // b: 7 down to 0
    reg [2:0]   component;    // i: 0..${last}
    reg [15:0]  sum;

    reg [7:0]   x;            // x_i (|valence| for the signed one)
    reg         w;            // w_i[b]
    always @(*) begin
        case (component)
${pick((c, i) => `x = ${operand(c, i)}`, "x = 8'd0")}
        endcase
        case (component)
${pick((c) => `w = w_${c}[weight_bit]`, "w = 1'b0")}
        endcase
    end

    // A new weight bit starts by doubling what the higher bits summed (Horner).
    wire [15:0] carried = (component == 3'd0) ? {sum[14:0], 1'b0} : sum;
    always @(posedge clk) begin
        if (rst) begin
            running <= 1'b0;
        end else if (start) begin
            running <= 1'b1;
            weight_bit <= 3'd7;
            component <= 3'd0;
            sum <= 16'd0;
        end else if (running) begin
            sum <= carried + (w ? {8'd0, x} : 16'd0);
            if (component == 3'd${last}) begin
                component <= 3'd0;
                weight_bit <= weight_bit - 3'd1;
                if (weight_bit == 3'd0) running <= 1'b0;
            end else begin
                component <= component + 3'd1;
            end
        end
    end
    assign busy = running;
    // Round half up: (sum + 128) >> 8. The sum is at most 256 * 255 = 16'hFF00, so this never overflows.
    assign composite = sum[15:8] + {7'd0, sum[7]};
endmodule`;
}

export function generateScorer(config: Pick<CoreConfig, 'scorer'>): VerilogFile {
  const serial = config.scorer === 'serial';
  const what = serial
    ? `serial composite salience (one component per clock, ${SERIAL_SCORER_CYCLES} clocks), (sum + 128) >> 8 with run-time u8 weights`
    : 'combinational composite salience, (sum + 128) >> 8 with run-time u8 weights';
  const text = `${header(MODULES.scorer, what, {
    components: SALIENCE_COMPONENTS,
    weightSum: WEIGHT_SUM,
    scorer: config.scorer,
  })}
\`default_nettype none

${serial ? serialBody() : parallelBody()}

\`default_nettype wire
`;
  return { name: `${MODULES.scorer}.v`, text };
}
