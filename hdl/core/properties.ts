/**
 * The core's formal properties, emitted into janela_core under `ifdef FORMAL` and proven
 * by hdl/formal (Yosys sat -tempinduct).
 *
 * Every assertion carries a label `<group>_<n>`: a property's own group, or a group of
 * strengthening invariants its induction needs. A proof keeps the groups of one property
 * and removes every other assertion, so each property is proven on its own; helpers are
 * asserted (and so proven with it), never assumed.
 */
import { lit } from '../verilog.js';
import { STATES, buildStates, type StateName } from './fsm.js';
import { META_BITS, type CoreShape } from './shape.js';

/** Groups of strengthening invariants, by label prefix. */
export const HELPERS = {
  /** Every op state belongs to the latched op; EMIT only continues into states the controller names. */
  state: 'help_state',
  /** The store's read data equals the memory word at rd_addr_q unless that word was written since. */
  coherent: 'help_coherent',
  /** A CLOSE scan has freed every item of the window below its scan position. */
  close: 'help_close',
  /** A STORE's window stays open; its victim is a valid item whose record is on the read port. */
  store: 'help_store',
  /** A STORE past its checks never has a zero connection. */
  storeConnection: 'help_store_connection',
  /** The window bank's registered sel_* outputs equal the fields of the selected slot. */
  bank: 'help_bank',
} as const;
export type HelperName = keyof typeof HELPERS;

export interface PropertyDef {
  /** Reported name. */
  readonly name: string;
  /** Letter in the issue's list, (a)..(e). */
  readonly id: string;
  readonly statement: string;
  /** Label prefix of its assertions. */
  readonly label: string;
  /** Other properties asserted alongside, because its induction rests on them. */
  readonly alsoProperties: readonly string[];
  readonly helpers: readonly HelperName[];
}

export const PROPERTIES: readonly PropertyDef[] = [
  {
    name: 'count-bounds',
    id: 'a',
    statement: 'minWindows <= openCount <= maxWindows in every reachable state',
    label: 'check_count_bounds',
    alsoProperties: [],
    helpers: [],
  },
  {
    name: 'count-equals-open-bits',
    id: 'b',
    statement: 'openCount equals the number of open bits',
    label: 'check_count_bits',
    alsoProperties: [],
    helpers: [],
  },
  {
    name: 'items-in-open-windows',
    id: 'c',
    statement: 'no valid item belongs to a closed window',
    label: 'check_items_open',
    alsoProperties: [],
    helpers: ['state', 'coherent', 'close', 'store', 'bank'],
  },
  {
    name: 'store-spares-closed-windows',
    id: 'd',
    statement: 'a STORE never changes a closed window (its bank entry or its items)',
    label: 'check_store_closed',
    alsoProperties: ['items-in-open-windows'],
    helpers: ['state', 'coherent', 'close', 'store', 'bank'],
  },
  {
    name: 'no-zero-connection-item',
    id: 'e',
    statement: 'an item with connection = 0 never enters the store',
    label: 'check_no_zero_connection',
    alsoProperties: [],
    helpers: ['state', 'storeConnection', 'bank'],
  },
];

/** Label prefixes of every assertion a property's proof keeps. */
export function proofLabels(p: PropertyDef): string[] {
  const others = p.alsoProperties.map((n) => PROPERTIES.find((q) => q.name === n)!.label);
  return [p.label, ...others, ...p.helpers.map((h) => HELPERS[h])];
}

const STORE_PRE_WRITE: StateName[] = ['STORE_SCORE', 'STORE_START', 'STORE_SCAN', 'STORE_VICTIM', 'STORE_WRITE'];
const inStates = (states: readonly StateName[]) => `(${states.map((s) => `state == S_${s}`).join(' || ')})`;

type Labeller = (cond: string) => string;

/** Numbers the assertions of one group: `check_items_open_0: assert(...)`. */
function labeller(prefix: string): Labeller {
  let n = 0;
  return (cond: string) => `${prefix}_${n++}: assert(${cond});`;
}

/** The `ifdef FORMAL` section of janela_core; `emitNextStates`: every state EMIT may continue with. */
export function formalSection(shape: CoreShape, emitNextStates: readonly StateName[]): string {
  const { maxWindows: W, minWindows: MIN, capacity: CAP } = shape.config;
  const { addrBits: A, openCountBits: NB } = shape;
  const M = META_BITS;
  const V = M - 1;
  const addrs = [...Array(CAP).keys()];
  const slotOf = (word: string) => `${word}[${M - 2}:8]`;
  const label = Object.fromEntries(
    [...PROPERTIES.map((p) => p.label), ...Object.values(HELPERS)].map((l) => [l, labeller(l)]),
  ) as Record<string, Labeller>;
  const check = (id: string) => label[PROPERTIES.find((p) => p.id === id)!.label]!;
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(check) as [Labeller, Labeller, Labeller, Labeller, Labeller];
  const h = (name: HelperName) => label[HELPERS[name]]!;

  const perAddr = addrs
    .map(
      (i) =>
        `    wire [${M - 1}:0] f_meta_${i} = f_meta[${i * M + M - 1}:${i * M}];\n` +
        `    wire        f_live_${i} = (state != S_INIT) || (init_ptr > ${lit(A, i)});`,
    )
    .join('\n');
  const present = buildStates(shape.config);
  const storePreWrite = STORE_PRE_WRITE.filter((s) => present.includes(s));
  const storeStates = present.filter((s) => STATES[s] === 'store');
  const popTerms = [...Array(W).keys()].map((s) => (NB === 1 ? `open_bits[${s}]` : `{${lit(NB - 1, 0)}, open_bits[${s}]}`));
  const opStates = present
    .filter((s) => STATES[s] !== null)
    .map((s) => `        if (state == S_${s}) ${h('state')(`op_${STATES[s]}`)}`)
    .join('\n');
  const emitNextOps = emitNextStates
    .filter((s) => STATES[s] !== null)
    .map((s) => `            if (emit_next == S_${s}) ${h('state')(`op_${STATES[s]}`)}`)
    .join('\n');
  const itemsOpen = addrs
    .map((i) => `        if (f_live_${i} && f_meta_${i}[${V}]) ${c(`f_open16[${slotOf(`f_meta_${i}`)}]`)}`)
    .join('\n');
  const closeBelow = addrs
    .map((i) => `            if (rd_addr_q > ${lit(A, i)}) ${h('close')(`!(f_meta_${i}[${V}] && ${slotOf(`f_meta_${i}`)} == cur_slot)`)}`)
    .join('\n');
  const closeAll = addrs
    .map((i) => `            ${h('close')(`!(f_meta_${i}[${V}] && ${slotOf(`f_meta_${i}`)} == cur_slot)`)}`)
    .join('\n');

  return `
\`ifdef FORMAL
    // ---------------------------------------------------------------- proofs (hdl/formal, janela prove)
    // The first cycle is a reset; every assertion holds from the second cycle on.
    reg f_started = 1'b0;
    always @(posedge clk) f_started <= 1'b1;
    always @(*) if (!f_started) assume(rst);

    wire [15:0] f_open16 = {${lit(16 - W, 0)}, open_bits};   // bit s: slot s exists and is open
    wire [${NB - 1}:0] f_open_bits_count = ${popTerms.join(' + ')};
    // Store words, and whether each is live (cleared since the last reset).
${perAddr}
    wire [${M - 1}:0] f_meta_rd = f_meta[rd_addr_q * ${M} +: ${M}];
    wire [${M - 1}:0] f_meta_best = f_meta[best_addr * ${M} +: ${M}];
    wire [${M - 1}:0] f_meta_wr = f_meta[store_wr_addr * ${M} +: ${M}];
    wire        f_any_write = store_wr_item || store_wr_invalidate || store_wr_sal_only;
    // The read port holds memory[rd_addr_q] until that word is written.
    reg         f_rd_coherent;
    always @(posedge clk) begin
        if (rst) f_rd_coherent <= 1'b0;
        else if (store_rd_en) f_rd_coherent <= !(f_any_write && store_wr_addr == store_rd_addr);
        else if (f_any_write && store_wr_addr == rd_addr_q) f_rd_coherent <= 1'b0;
    end

    // (a) minWindows <= openCount <= maxWindows
    always @(*) if (f_started) ${a(`open_count >= ${lit(NB, MIN)} && open_count <= ${lit(NB, W)}`)}

    // (b) openCount equals the number of open bits
    always @(*) if (f_started) ${b('open_count == f_open_bits_count')}

    // (c) no valid item belongs to a closed window
    always @(*) if (f_started) begin
${itemsOpen}
    end

    // (d) a STORE never changes a closed window: every bank update and every store write it
    // makes touches an open window, and it never opens, closes or decays windows.
    wire f_store_exec = op_store && state != S_IDLE && state != S_INIT;
    always @(*) if (f_started && f_store_exec) begin
        ${d('!bank_do_open && !bank_do_close && !bank_do_decay && !store_wr_sal_only')}
        if (bank_do_set_wsal || bank_items_inc || bank_items_dec) ${d('f_open16[cur_slot]')}
        if (store_wr_item) ${d('f_open16[cur_slot]')}
        if (store_wr_item || store_wr_invalidate) ${d(`!f_meta_wr[${V}] || f_open16[${slotOf('f_meta_wr')}]`)}
    end

    // (e) an item with connection = 0 never enters the store
    always @(*) if (f_started && store_wr_item) ${e('op_store && !zero_connection')}

    // Helper: op states belong to the latched op; EMIT continues only into the controller's states.
    always @(*) if (f_started) begin
${opStates}
        if (state == S_EMIT) begin
            ${h('state')(emitNextStates.map((s) => `emit_next == S_${s}`).join(' || '))}
${emitNextOps}
        end
    end

    // Helper: the bank's registered view of the selected slot.
    always @(*) if (f_started) ${h('bank')('bank_sel_coherent')}

    // Helper: read data coherence.
    always @(*) if (f_started && f_rd_coherent) ${h('coherent')(`{rd_valid, rd_slot, rd_sal} == f_meta_rd`)}

    // Helper: a CLOSE scan leaves no item of the window below its position.
    always @(*) if (f_started) begin
        if (state == S_CLOSE_SCAN) begin
            ${h('close')('f_rd_coherent')}
${closeBelow}
        end
        if (state == S_CLOSE_FIN) begin
${closeAll}
        end
    end

    // Helper: a STORE past its checks has a nonzero connection (EMIT of its response sits
    // between STORE_DEC and STORE_DONE).
    always @(*) if (f_started && (${inStates(storeStates)} || (state == S_EMIT && emit_next == S_STORE_DONE)))
        ${h('storeConnection')('!zero_connection')}

    // Helper: the STORE's window stays open; the victim is valid and its record is on the read port.
    always @(*) if (f_started) begin
        if (${inStates(storePreWrite)}) ${h('store')('f_open16[cur_slot]')}
        if (state == S_STORE_SCAN) ${h('store')('f_rd_coherent')}
        if ((state == S_STORE_SCAN || state == S_STORE_VICTIM) && best_found) ${h('store')(`f_meta_best[${V}]`)}
        if (state == S_STORE_WRITE && evicted) ${h('store')('f_rd_coherent && rd_addr_q == best_addr && rd_valid')}
        if (state == S_STORE_DEC && evicted) ${h('store')('f_open16[cur_slot]')}
    end
\`endif`;
}
