/**
 * Salience scorer: the composite of spec/salience.ts compositeSalience, combinational.
 * Five 8×8 products (|valence| for the signed component), an adder tree, round half up.
 */
import { SALIENCE_COMPONENTS, VALENCE_INDEX, WEIGHT_SUM } from '../../spec/index.js';
import { header, type VerilogFile } from '../verilog.js';
import { MODULES } from './shape.js';

export function generateScorer(): VerilogFile {
  const name = MODULES.scorer;
  const lines: string[] = [];
  SALIENCE_COMPONENTS.forEach((c, i) => {
    lines.push(`    wire [7:0]  ${c} = salience[${8 * i + 7}:${8 * i}];`);
    lines.push(`    wire [7:0]  w_${c} = weights[${8 * i + 7}:${8 * i}];`);
  });
  // |−128| = 128 still fits u8, so the two's-complement negation never overflows.
  const operand = (c: string, i: number) => (i === VALENCE_INDEX ? `${c}_magnitude` : c);
  const valence = SALIENCE_COMPONENTS[VALENCE_INDEX]!;
  const products = SALIENCE_COMPONENTS.map(
    (c, i) => `    wire [15:0] product_${c} = {8'd0, w_${c}} * {8'd0, ${operand(c, i)}};`,
  );
  const text = `${header(name, 'combinational composite salience, (sum + 128) >> 8 with run-time u8 weights', {
    components: SALIENCE_COMPONENTS,
    weightSum: WEIGHT_SUM,
  })}
\`default_nettype none

module ${name} (
    input  wire [39:0] salience,   // component i in bits 8i+7:8i, valence signed
    input  wire [39:0] weights,    // weight i in bits 8i+7:8i, summing to ${WEIGHT_SUM}
    output wire [7:0]  composite
);
${lines.join('\n')}
    wire [7:0]  ${valence}_magnitude = ${valence}[7] ? (~${valence} + 8'd1) : ${valence};

${products.join('\n')}

    // Weights sum to ${WEIGHT_SUM}, so the sum is at most 256 * 255 and the rounded sum fits 16 bits.
    wire [15:0] rounded_sum = ${SALIENCE_COMPONENTS.map((c) => `product_${c}`).join(' + ')} + 16'd128;
    assign composite = rounded_sum[15:8];
    wire unused_fraction = &{1'b0, rounded_sum[7:0]};
endmodule

\`default_nettype wire
`;
  return { name: `${name}.v`, text };
}
