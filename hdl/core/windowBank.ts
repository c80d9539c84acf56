/**
 * Window bank: per-slot open bit, generation, window salience and item count, the
 * open-window counter, and the min/max gates that make the bounds hold by construction:
 * an open only fires below maxWindows and on a closed slot, a close only above minWindows
 * and on an open slot.
 *
 * Every update applies to the selected slot `sel`, through one shared datapath (the
 * generation incrementer, the decay subtractor, the item counter): each slot's registers
 * only need a load enable. DECAY therefore steps the slots one per cycle.
 *
 * Timing: the selected slot's fields (sel_*) are registers, not a mux after the slot
 * registers. The controller gives the slot it selects next cycle (sel_next), and sel_*
 * load that slot's value as it will be after this cycle's update (write-through when
 * sel_next == sel), so sel_* always equal the fields of slot sel, with no mux between
 * them and the controller's logic or the shared datapath.
 */
import { NEUTRAL_SALIENCE, compositeSalience } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { MODULES, type CoreShape } from './shape.js';

export function generateWindowBank(shape: CoreShape): VerilogFile {
  const name = MODULES.bank;
  const { maxWindows: W, minWindows: MIN, weights } = shape.config;
  const { slotBits: SB, genBits: GB, slotItemBits: QB, openCountBits: NB } = shape;
  const neutral = compositeSalience(NEUTRAL_SALIENCE, weights);
  const slots = [...Array(W).keys()];
  const slotLit = (s: number) => lit(SB, s);
  const mutated = shape.options.mutation === 'count-overflow';
  // The count-overflow mutation (proofs only): <= instead of <, and no check that the slot is closed.
  const belowMax = mutated
    ? `open_count <= ${lit(NB, W)}; // MUTATION count-overflow: deliberately broken`
    : `open_count < ${lit(NB, W)};`;
  const openGate = mutated ? 'below_max; // MUTATION count-overflow: any slot, open or not' : 'below_max && sel_exists && !sel_open;';
  // When minWindows fills the counter's range, no count is above it: the gate is shut.
  const closeGate = MIN === 2 ** NB - 1 ? `1'b0; // minWindows = ${MIN} is the counter's largest value` : `open_count > ${lit(NB, MIN)};`;

  const slotLogic = slots.map(
    (s) => `    // slot ${s}
    reg          open_${s};
    reg [${GB - 1}:0]   gen_${s};
    reg [7:0]    wsal_${s};
    reg [${QB - 1}:0]    items_${s};
    wire         write_${s} = (sel == ${slotLit(s)});
    always @(posedge clk) begin
        if (rst) begin
            open_${s}  <= 1'b${s < MIN ? 1 : 0};
            gen_${s}   <= ${lit(GB, 0)};
            wsal_${s}  <= 8'd${neutral};
            items_${s} <= ${lit(QB, 0)};
        end else if (write_${s}) begin
            if (open_fire || close_fire) open_${s} <= open_fire;
            if (open_fire) gen_${s} <= gen_next;
            if (wsal_write) wsal_${s} <= wsal_next;
            if (items_write) items_${s} <= items_next;
        end
    end
`,
  );

  const freeSlot = [...slots]
    .reverse()
    .map((s) => `        if (!open_${s}) free_slot_now = ${slotLit(s)};`)
    .join('\n');
  const arms = (prefix: string) =>
    slots
      .map(
        (s) =>
          `            ${slotLit(s)}: begin ${prefix}_open = open_${s}; ${prefix}_gen = gen_${s}; ${prefix}_wsal = wsal_${s}; ${prefix}_items = items_${s}; end`,
      )
      .join('\n');
  const nxArms = arms('nx');
  const selArms = arms('f');

  const text = `${header(name, 'open bits, generations, window saliences, item counts, open-window counter and its gates', {
    maxWindows: W,
    minWindows: MIN,
    quota: shape.config.quota,
    neutralSalience: neutral,
    ...(shape.options.mutation ? { mutation: shape.options.mutation } : {}),
  })}
\`default_nettype none

module ${name} (
    input  wire        clk,
    input  wire        rst,
    // The slot the controller looks at and updates.
    input  wire [${SB - 1}:0]  sel,
    input  wire [${SB - 1}:0]  sel_next,    // the value sel has in the next cycle
    output reg         sel_open,
    output reg  [${GB - 1}:0] sel_gen,
    output reg  [7:0]  sel_wsal,
    output reg  [${QB - 1}:0]  sel_items,
    output reg  [${NB - 1}:0]  open_count,
    output reg  [${SB - 1}:0]  free_slot,   // lowest closed slot, as of the previous cycle
    output wire        below_max,   // open_count < maxWindows
    output wire        can_close,   // close gate: open_count > minWindows
    // Updates of slot sel; open and close only take effect through the gates.
    input  wire        do_open,       // open sel: generation + 1, window salience wsal_in, no items
    input  wire        do_close,      // close sel
    input  wire        do_set_wsal,   // wsal <= wsal_in
    input  wire        do_items_inc,  // items += 1
    input  wire        do_items_dec,  // items -= 1
    input  wire        do_decay,      // an open window's wsal -= decay_step, floored at 0
    input  wire [7:0]  wsal_in,
    input  wire [7:0]  decay_step
\`ifdef FORMAL
    ,
    output wire [${W - 1}:0]  open_bits,    // for the proofs
    output wire        sel_coherent  // sel_* equal the fields of slot sel
\`endif
);
    wire sel_exists = (sel < ${lit(SB, W)});
    assign below_max = ${belowMax}
    // The gates: an open needs room and a closed slot, a close an open slot above the minimum.
    wire can_open = ${openGate}
    assign can_close = ${closeGate}
    wire open_fire = do_open && can_open;
    wire close_fire = do_close && can_close && sel_open;

    // The shared datapath.
    wire [${GB - 1}:0] gen_next = sel_gen + ${lit(GB, 1)};
    wire       wsal_write = open_fire || do_set_wsal || (do_decay && sel_open);
    wire [7:0] wsal_next = (open_fire || do_set_wsal) ? wsal_in
                         : (sel_wsal > decay_step) ? sel_wsal - decay_step : 8'd0;
    wire       items_write = open_fire || close_fire || do_items_inc || do_items_dec;
    wire [${QB - 1}:0] items_next = (open_fire || close_fire) ? ${lit(QB, 0)}
                          : do_items_inc ? sel_items + ${lit(QB, 1)} : sel_items - ${lit(QB, 1)};

${slotLogic.join('\n')}
\`ifdef FORMAL
    assign open_bits = {${[...slots].reverse().map((s) => `open_${s}`).join(', ')}};
\`endif

    always @(posedge clk) begin
        if (rst) open_count <= ${lit(NB, MIN)};
        else if (open_fire) open_count <= open_count + ${lit(NB, 1)};
        else if (close_fire) open_count <= open_count - ${lit(NB, 1)};
    end

    // The lowest closed slot, registered: a cycle late, which the controller never sees,
    // because it reads free_slot only in S_CHECK and no open or close happens the cycle before.
    reg [${SB - 1}:0] free_slot_now;
    always @(*) begin
        free_slot_now = ${slotLit(0)};
${freeSlot}
    end
    always @(posedge clk) free_slot <= free_slot_now;

    // The slot selected next cycle, as it is now.
    reg         nx_open;
    reg [${GB - 1}:0]  nx_gen;
    reg [7:0]   nx_wsal;
    reg [${QB - 1}:0]   nx_items;
    always @(*) begin
        case (sel_next)
${nxArms}
            default: begin nx_open = 1'b0; nx_gen = ${lit(GB, 0)}; nx_wsal = 8'd0; nx_items = ${lit(QB, 0)}; end
        endcase
    end
    // sel_* load slot sel_next's value after this cycle's update: the update's result for a
    // field written this cycle when sel_next is the slot being written (sel, if it exists),
    // the slot's registers otherwise.
    wire through = (sel_next == sel) && sel_exists;
    always @(posedge clk) begin
        if (rst) begin
            sel_open  <= (sel_next < ${lit(SB, MIN)});
            sel_gen   <= ${lit(GB, 0)};
            sel_wsal  <= (sel_next < ${lit(SB, W)}) ? 8'd${neutral} : 8'd0;
            sel_items <= ${lit(QB, 0)};
        end else begin
            // Fields not written load from the slot registers, so sel_* never hold a stale value.
            sel_open  <= (through && (open_fire || close_fire)) ? open_fire : nx_open;
            sel_gen   <= (through && open_fire) ? gen_next : nx_gen;
            sel_wsal  <= (through && wsal_write) ? wsal_next : nx_wsal;
            sel_items <= (through && items_write) ? items_next : nx_items;
        end
    end
\`ifdef FORMAL
    reg f_open;
    reg [${GB - 1}:0] f_gen;
    reg [7:0] f_wsal;
    reg [${QB - 1}:0] f_items;
    always @(*) begin
        case (sel)
${selArms}
            default: begin f_open = 1'b0; f_gen = ${lit(GB, 0)}; f_wsal = 8'd0; f_items = ${lit(QB, 0)}; end
        endcase
    end
    assign sel_coherent = {sel_open, sel_gen, sel_wsal, sel_items} == {f_open, f_gen, f_wsal, f_items};
\`endif
endmodule

\`default_nettype wire
`;
  return { name: `${name}.v`, text };
}
