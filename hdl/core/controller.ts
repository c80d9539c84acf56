/**
 * The core controller, top module janela_core: latches a command, runs the checks of
 * docs/hardware.md in their order, executes the op with sequential scans over the
 * content store (one address per cycle) and streams the response bytes.
 *
 * Scans: a read of address a is issued, its data arrives the next cycle together with
 * rd_addr_q = a, and the next read (a + 1) is issued while a is processed, so a pass
 * costs capacity + 1 cycles. RECALL counts its matches in one pass, then finds each
 * record in a pass of its own (the smallest key above the previous record's key).
 */
import {
  ALL_WINDOWS,
  BadRequestReason,
  CONNECTION_INDEX,
  MAX_PAGE,
  NEUTRAL_SALIENCE,
  OPS,
  OP_NAMES,
  STATUS,
  SalienceReason,
  WEIGHT_SUM,
  requestLengths,
  type OpName,
} from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { STATE_BITS, stateParams, type StateName } from './fsm.js';
import { formalSection } from './properties.js';
import { coreMessages, messageParams, messageWidths } from './response.js';
import { CMD_DATA_BITS, KEY_BITS, META_BITS, MODULES, reqSlice, requestOffset, type CoreShape } from './shape.js';

/** Zero-extends or truncates a simple signal to `to` bits. */
export function resize(expr: string, from: number, to: number): string {
  if (from === to) return expr;
  if (from < to) return `{${lit(to - from, 0)}, ${expr}}`;
  return `${expr}[${to - 1}:0]`;
}

const opParam = (op: OpName) => `OP_${op.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
const statusParam = (s: keyof typeof STATUS) => `ST_${s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/**
 * Verilog fragments that start sending a message; EMIT continues with `next` after its
 * last byte, or with IDLE when `idleWhen` holds. Every continuation is recorded, so the
 * proofs know exactly which states EMIT can lead to.
 */
function emitter(continuations: Set<StateName>) {
  return (msg: string, final: string, next: StateName, indent: string, idleWhen?: string): string => {
    continuations.add(next);
    if (idleWhen) continuations.add('IDLE');
    const nextState = idleWhen ? `(${idleWhen} ? S_IDLE : S_${next})` : `S_${next}`;
    // A message name, or an expression choosing between MSG_ names.
    const msgExpr = /^\w+$/.test(msg) ? `MSG_${msg}` : msg;
    return [
      `emit_msg <= ${msgExpr};`,
      `emit_idx <= IDX_ZERO;`,
      `emit_final <= ${final};`,
      `emit_next <= ${nextState};`,
      `state <= S_EMIT;`,
    ]
      .map((l) => indent + l)
      .join('\n');
  };
}

export function generateController(shape: CoreShape): VerilogFile {
  const name = MODULES.core;
  const { config } = shape;
  const { maxWindows: W, capacity: CAP, quota: QUOTA } = config;
  const { addrBits: A, itemCountBits: CB, slotItemBits: QB, openCountBits: NB, stampBits: TB } = shape;
  const { msgBits: MB, idxBits: IB } = messageWidths(coreMessages(config));
  const S = STATE_BITS;
  const serialScorer = config.scorer === 'serial';
  const K = KEY_BITS;
  const continuations = new Set<StateName>();
  const emit = emitter(continuations);

  // Request fields, from the spec's request layouts.
  const windowOffsets = (['close', 'store', 'recall'] as const).map((op) => requestOffset(op, 'window'));
  if (new Set(windowOffsets).size !== 1) throw new Error('window field must be at the same offset in every request');
  const winOff = windowOffsets[0]!;
  const field = (op: OpName, f: string, bytes: number) => reqSlice(requestOffset(op, f), bytes);
  const salLen = (op: 'open' | 'store') => Math.max(...requestLengths(op));
  const salOff = (op: 'open' | 'store') => requestOffset(op, 'salience');
  const connByte = (op: 'open' | 'store') => reqSlice(salOff(op) + CONNECTION_INDEX, 1);
  const neutral = NEUTRAL_SALIENCE.reduce((acc, x, i) => acc | (BigInt(x & 0xff) << BigInt(8 * i)), 0n);
  const weightsReset = config.weights.reduce((acc, x, i) => acc | (BigInt(x) << BigInt(8 * i)), 0n);

  const lenChecks = OP_NAMES.map((op) => {
    const lens = requestLengths(op)
      .map((l) => `req_len == ${lit(8, l)}`)
      .join(' || ');
    return `            ${opParam(op)}: cmd_len_ok = ${lens.replaceAll('req_len', 'cmd_len')};`;
  }).join('\n');
  const opParams = OP_NAMES.map((op) => `    localparam [7:0] ${opParam(op)} = ${lit(8, OPS[op].code)};`).join('\n');
  const opWires = OP_NAMES.map((op) => `    wire op_${op} = (req_op == ${opParam(op)});`).join('\n');
  // BadSequence belongs to the link's frame engine, never to the core.
  const statusParams = (Object.keys(STATUS) as (keyof typeof STATUS)[])
    .filter((s) => s !== 'badSequence')
    .map((s) => `    localparam [7:0] ${statusParam(s)} = ${lit(8, STATUS[s].code)};`)
    .join('\n');

  const weightsOff = requestOffset('setWeights', 'weights');
  const cmdField = (f: string) => reqSlice(requestOffset('recall', f), 1, 'cmd_data');
  const cmdWeightSum = [0, 1, 2, 3, 4].map((i) => `{3'd0, ${reqSlice(weightsOff + i, 1, 'cmd_data')}}`).join(' + ');
  const mc = (e: string) => resize(e, CB, 16);
  const wide = Math.max(CB, 8);
  const matchWide = resize('match_count', CB, wide);
  const last = lit(A, CAP - 1);

  const text = `${header(name, 'working-memory core: command interface, checks, op sequencing, response stream', {
    ...config,
    addressBits: A,
    ...(shape.options.mutation ? { mutation: shape.options.mutation } : {}),
  })}
\`default_nettype none

module ${name} (
    input  wire         clk,
    input  wire         rst,        // synchronous, active high
    // Command: taken on cmd_valid && cmd_ready.
    input  wire         cmd_valid,
    output wire         cmd_ready,
    input  wire [7:0]   cmd_op,
    input  wire [7:0]   cmd_len,
    input  wire [${CMD_DATA_BITS - 1}:0] cmd_data,   // payload byte 0 in bits 7:0
    // Response: status byte first, then the payload; at most one byte per cycle.
    output wire         rsp_valid,
    output wire [7:0]   rsp_data,
    output wire         rsp_last
);
${opParams}
${statusParams}
${stateParams(config)}
${messageParams(config)}
    localparam [${IB - 1}:0] IDX_ZERO = ${lit(IB, 0)};
    localparam [1:0] EVICT_NONE = 2'd0;    // free address, no eviction
    localparam [1:0] EVICT_WINDOW = 2'd1;  // items[s] >= quota
    localparam [1:0] EVICT_GLOBAL = 2'd2;  // itemCount = capacity
    localparam [1:0] KEY_STAMP = 2'd0;     // RECALL insertion order
    localparam [1:0] KEY_SAL_DESC = 2'd1;  // RECALL salience order: (255 - sal, stamp)
    localparam [1:0] KEY_SAL_ASC = 2'd2;   // eviction: (sal, stamp)

    // ---------------------------------------------------------------- registers
    reg [${S - 1}:0]   state;
    reg [7:0]   req_op;
    reg [7:0]   req_len;
    reg [${CMD_DATA_BITS - 1}:0] req_data;
    reg [3:0]   cur_slot;       // the bank's selected slot
    reg [3:0]   cur_slot_next;  // its value in the next cycle (the bank registers that slot's fields)
    // Decoded or checked as the command is taken, for S_CHECK:
    reg         weights_bad;    // the request's weights do not sum to ${WEIGHT_SUM}
    reg         sel_free_slot;  // OPEN: S_CHECK selects the free slot
    reg         sel_slot_zero;  // LIST, FOCUS, DECAY: S_CHECK selects slot 0
    reg         recall_args_bad; // RECALL's limit, order or hasCursor out of range
    reg         op_known;       // the request's opcode is known
    reg         len_ok;         // and its length is one of the op's
    reg [39:0]  scorer_in;      // the scorer's input
    reg [7:0]   item_sal;       // scored salience of OPEN / STORE
    reg [39:0]  weights;
    reg [${TB - 1}:0]  stamp_next;
    reg [${CB - 1}:0]   item_count;
    reg [${A - 1}:0]   init_ptr;
    // scans
    reg [${CB - 1}:0]   match_count;    // CLOSE freed, RECALL matches, DECAY below threshold
    reg [${A - 1}:0]   best_addr;
    reg [${K - 1}:0]  best_key;
    reg         best_found;
    reg [${A - 1}:0]   free_addr;      // STORE: lowest free address, then the write address
    reg         free_found;
    reg [${K - 1}:0]  last_key;       // RECALL: key of the cursor / previous record
    reg         has_last;
    reg         scope_all;      // scan every window, not just cur_slot
    reg [1:0]   key_mode;
    reg [1:0]   evict_mode;
    reg         evicted;
    reg [3:0]   rec_total;      // records in this response
    reg [3:0]   rec_done;       // records sent so far
    reg         more_flag;
    reg [3:0]   focus_slot;
    reg [7:0]   focus_sal;
    reg         focus_found;
    // response
    reg [${MB - 1}:0]   emit_msg;
    reg [${IB - 1}:0]   emit_idx;
    reg         emit_final;
    reg [${S - 1}:0]   emit_next;
    reg [7:0]   err_status;
    reg [7:0]   err_arg;

    // ---------------------------------------------------------------- request fields
${opWires}
    wire [15:0] req_window = ${reqSlice(winOff, 2)};
    wire [${shape.genBits - 1}:0] req_gen = req_window[15:${shape.slotBits}];
    wire        req_all_windows = (req_window == ${lit(16, ALL_WINDOWS)});
    wire        has_salience = (op_open && req_len == ${lit(8, salLen('open'))}) || (op_store && req_len == ${lit(8, salLen('store'))});
    wire        zero_connection = (op_open && req_len == ${lit(8, salLen('open'))} && ${connByte('open')} == 8'd0)
                               || (op_store && req_len == ${lit(8, salLen('store'))} && ${connByte('store')} == 8'd0);
    wire [63:0] req_handle = ${field('store', 'handle', 8)};
    wire [7:0]  req_min_sal = ${field('recall', 'minSalience', 1)};
    wire [7:0]  req_limit = ${field('recall', 'limit', 1)};
    wire [7:0]  req_order = ${field('recall', 'order', 1)};
    wire [7:0]  req_has_cursor = ${field('recall', 'hasCursor', 1)};
    wire [7:0]  req_cursor_sal = ${field('recall', 'cursorSalience', 1)};
    wire [${TB - 1}:0] req_cursor_stamp = ${field('recall', 'cursorStamp', 5)};
    wire [7:0]  req_step = ${field('decay', 'step', 1)};
    wire [7:0]  req_threshold = ${field('decay', 'threshold', 1)};
    wire [39:0] req_weights = ${field('setWeights', 'weights', 5)};

    // ---------------------------------------------------------------- blocks
    wire        bank_sel_open;
    wire [${shape.genBits - 1}:0] bank_sel_gen;
    wire [7:0]  bank_sel_wsal;
    wire [${QB - 1}:0]  bank_sel_items;
    wire [${NB - 1}:0]  open_count;
    wire [3:0]  free_slot;
    wire        below_max, can_close;
\`ifdef FORMAL
    wire [${W - 1}:0]  open_bits;
    wire        bank_sel_coherent;
\`endif
    wire        bank_do_open = (state == S_OPEN);
    wire        bank_do_close = (state == S_CLOSE_FIN);
    wire        bank_do_set_wsal = (state == S_STORE_START) && has_salience;
    wire        bank_items_inc = (state == S_STORE_WRITE);
    wire        bank_items_dec = ((state == S_STORE_DEC) && evicted) || (state == S_DECAY_EVICT_DEC);
    wire        bank_do_decay = (state == S_DECAY_WINDOWS);

    ${MODULES.bank} bank (
        .clk(clk), .rst(rst),
        .sel(cur_slot), .sel_next(cur_slot_next), .sel_open(bank_sel_open), .sel_gen(bank_sel_gen), .sel_wsal(bank_sel_wsal), .sel_items(bank_sel_items),
        .open_count(open_count), .free_slot(free_slot), .below_max(below_max), .can_close(can_close),
        .do_open(bank_do_open), .do_close(bank_do_close), .do_set_wsal(bank_do_set_wsal),
        .do_items_inc(bank_items_inc), .do_items_dec(bank_items_dec), .do_decay(bank_do_decay),
        .wsal_in(item_sal), .decay_step(req_step)
\`ifdef FORMAL
        , .open_bits(open_bits), .sel_coherent(bank_sel_coherent)
\`endif
    );

    // The scorer sees the request's salience, or the neutral one (OPEN without salience).
    // The salience fields of req_data: the scorer took its input from cmd_data.
    wire        unused_req_salience = &{1'b0, ${reqSlice(salOff('open'), 5)}, ${reqSlice(salOff('store'), 5)}};
    wire        cmd_has_salience = (cmd_op == ${opParam('open')} && cmd_len == ${lit(8, salLen('open'))})
                                || (cmd_op == ${opParam('store')} && cmd_len == ${lit(8, salLen('store'))});
    wire [7:0]  composite;
${
  serialScorer
    ? `    // Serial scorer: started by S_CHECK for an OPEN or STORE (also one that fails its checks,
    // harmlessly); S_OPEN_SCORE / S_STORE_SCORE wait for it. scorer_in holds since the command.
    wire        scorer_busy;
    wire        scorer_start = (state == S_CHECK) && (op_open || op_store);
    ${MODULES.scorer} scorer (
        .clk(clk), .rst(rst), .start(scorer_start),
        .salience(scorer_in), .weights(weights), .composite(composite), .busy(scorer_busy)
    );`
    : `    ${MODULES.scorer} scorer (.salience(scorer_in), .weights(weights), .composite(composite));`
}
    // OPEN and STORE with a salience take the composite; a STORE without one, its window's.
    wire [7:0]  scored_sal = (op_store && !has_salience) ? bank_sel_wsal : composite;

    reg         store_rd_en;
    reg  [${A - 1}:0]  store_rd_addr;
    wire [${A - 1}:0]  rd_addr_q;
    wire        rd_valid;
    wire [3:0]  rd_slot;
    wire [7:0]  rd_sal;
    wire [${TB - 1}:0] rd_stamp;
    wire [63:0] rd_handle;
    reg  [${A - 1}:0]  store_wr_addr;
    reg         store_wr_item, store_wr_invalidate, store_wr_sal_only;
    wire [7:0]  decayed_sal = (rd_sal > req_step) ? rd_sal - req_step : 8'd0;
\`ifdef FORMAL
    wire [${CAP * META_BITS - 1}:0] f_meta;
\`endif
    ${MODULES.store} store (
        .clk(clk),
        .rd_en(store_rd_en), .rd_addr(store_rd_addr), .rd_addr_q(rd_addr_q),
        .rd_valid(rd_valid), .rd_slot(rd_slot), .rd_sal(rd_sal), .rd_stamp(rd_stamp), .rd_handle(rd_handle),
        .wr_addr(store_wr_addr), .wr_item(store_wr_item), .wr_invalidate(store_wr_invalidate), .wr_sal_only(store_wr_sal_only),
        .wr_slot(cur_slot), .wr_sal(store_wr_item ? item_sal : decayed_sal), .wr_stamp(stamp_next), .wr_handle(req_handle)
\`ifdef FORMAL
        , .f_meta(f_meta)
\`endif
    );

    // ---------------------------------------------------------------- scan datapath
    wire        scan_last = (rd_addr_q == ${last});
    wire [${A - 1}:0]  scan_next = rd_addr_q + ${lit(A, 1)};
    wire [${K - 1}:0] rd_key = (key_mode == KEY_SAL_ASC) ? {rd_sal, rd_stamp}
                       : (key_mode == KEY_SAL_DESC) ? {~rd_sal, rd_stamp} : {8'd0, rd_stamp};
    wire [${K - 1}:0] cursor_key = (req_order == 8'd1) ? {~req_cursor_sal, req_cursor_stamp} : {8'd0, req_cursor_stamp};
    wire        candidate = rd_valid && (scope_all || rd_slot == cur_slot)
                         && (!op_recall || rd_sal >= req_min_sal)
                         && (!has_last || rd_key > last_key);
    wire        better = !best_found || rd_key < best_key;
    wire        store_scan_stop = scan_last || (evict_mode == EVICT_NONE && !rd_valid);
    wire        decay_hit = rd_valid && rd_sal < req_threshold;
    // STORE writes at the lowest free address, counting the victim's.
    wire [${A - 1}:0]  store_target = (free_found && (!evicted_next || free_addr < best_addr)) ? free_addr : best_addr;
    wire        evicted_next = (evict_mode != EVICT_NONE) && best_found;
    wire [${wide - 1}:0] page_limit = ${resize('req_limit', 8, wide)};
    wire [3:0]  recall_page = (${matchWide} > page_limit) ? req_limit[3:0] : ${resize('match_count', CB, 4)};
    wire [3:0]  decay_page = (${matchWide} > ${lit(wide, MAX_PAGE)}) ? 4'd${MAX_PAGE} : ${resize('match_count', CB, 4)};
    wire        rec_is_last = (rec_done + 4'd1 == rec_total);
    wire        no_matches = (match_count == ${lit(CB, 0)});
    wire        list_empty = (open_count == ${lit(NB, 0)});

    always @(*) begin
        store_rd_en = 1'b0;
        store_rd_addr = ${lit(A, 0)};
        case (state)
            S_CLOSE_START, S_STORE_START, S_RECALL_START, S_RECALL_PASS_START, S_DECAY_START, S_DECAY_EVICT_START:
                store_rd_en = 1'b1;
            S_CLOSE_SCAN, S_RECALL_COUNT, S_RECALL_PASS, S_DECAY_SCAN: begin
                store_rd_en = !scan_last;
                store_rd_addr = scan_next;
            end
            S_STORE_SCAN: begin
                store_rd_en = !store_scan_stop;
                store_rd_addr = scan_next;
            end
            S_DECAY_EVICT_SCAN: begin
                store_rd_en = !scan_last && !decay_hit;   // a hit holds its record on the read port
                store_rd_addr = scan_next;
            end
            S_DECAY_EVICT_RESUME: begin
                store_rd_en = !scan_last;
                store_rd_addr = scan_next;
            end
            S_STORE_VICTIM, S_RECALL_FETCH: begin
                store_rd_en = 1'b1;
                store_rd_addr = best_addr;
            end
            default: ;
        endcase
    end

    always @(*) begin
        store_wr_item = 1'b0;
        store_wr_invalidate = 1'b0;
        store_wr_sal_only = 1'b0;
        store_wr_addr = rd_addr_q;
        case (state)
            S_INIT: begin
                store_wr_invalidate = 1'b1;
                store_wr_addr = init_ptr;
            end
            S_CLOSE_SCAN: store_wr_invalidate = rd_valid && rd_slot == cur_slot;
            S_DECAY_SCAN: store_wr_sal_only = rd_valid;
            S_DECAY_EVICT_SCAN: store_wr_invalidate = decay_hit;
            S_STORE_WRITE: begin
                store_wr_item = 1'b1;
                store_wr_addr = free_addr;
            end
            S_STORE_DEC: begin
                // The victim's address, when the new item went to a lower free one.
                store_wr_invalidate = evicted && free_addr != best_addr;
                store_wr_addr = best_addr;
            end
            default: ;
        endcase
    end

    // ---------------------------------------------------------------- checks (docs/hardware.md order)
    // Opcode and length, checked as the command is taken (registered for S_CHECK).
    reg        cmd_len_ok;
    reg        cmd_op_known;
    always @(*) begin
        cmd_op_known = 1'b1;
        cmd_len_ok = 1'b0;
        case (cmd_op)
${lenChecks}
            default: cmd_op_known = 1'b0;
        endcase
    end
    wire arg_bad_recall = op_recall && recall_args_bad;
    wire arg_bad_weights = op_setWeights && weights_bad;
    wire needs_window = op_close || op_store || (op_recall && !req_all_windows);
    // The bank is looking at cur_slot, latched from the request's window id.
    wire window_not_found = (cur_slot >= 4'd${W}) || (bank_sel_gen != req_gen);

    reg [7:0] chk_status;
    reg [7:0] chk_arg;
    reg       chk_has_arg;
    always @(*) begin
        chk_status = ${statusParam('ok')};
        chk_arg = 8'd0;
        chk_has_arg = 1'b1;
        if (!op_known) begin
            chk_status = ${statusParam('badRequest')}; chk_arg = 8'd${BadRequestReason.unknownOpcode};
        end else if (!len_ok) begin
            chk_status = ${statusParam('badRequest')}; chk_arg = 8'd${BadRequestReason.badLength};
        end else if (zero_connection) begin
            chk_status = ${statusParam('invalidSalience')}; chk_arg = 8'd${SalienceReason.ConnectionZero};
        end else if (arg_bad_recall) begin
            chk_status = ${statusParam('badRequest')}; chk_arg = 8'd${BadRequestReason.badArgument};
        end else if (arg_bad_weights) begin
            chk_status = ${statusParam('invalidSalience')}; chk_arg = 8'd${SalienceReason.WeightSum};
        end else if (needs_window && window_not_found) begin
            chk_status = ${statusParam('windowNotFound')}; chk_has_arg = 1'b0;
        end else if (needs_window && !bank_sel_open) begin
            chk_status = ${statusParam('windowAlreadyClosed')}; chk_has_arg = 1'b0;
        end else if (op_open && !below_max) begin
            chk_status = ${statusParam('boundedMemoryExceeded')}; chk_arg = 8'd${W};
        end else if (op_close && !can_close) begin
            chk_status = ${statusParam('boundedMemoryInsufficient')}; chk_arg = 8'd${config.minWindows};
        end
    end

    // ---------------------------------------------------------------- response
    wire [7:0] rsp_byte;
    wire       rsp_last_byte;
    ${MODULES.response} response (
        .clk(clk), .msg(emit_msg), .idx(emit_idx),
        .err_status(err_status), .err_arg(err_arg),
        .win_id({bank_sel_gen, cur_slot}), .win_sal(bank_sel_wsal), .win_items(${resize('bank_sel_items', QB, 16)}),
        .freed(${mc('match_count')}), .item_sal(item_sal), .stamp_next(stamp_next),
        .rd_sal(rd_sal), .rd_stamp(rd_stamp), .rd_handle(rd_handle),
        .page_count({4'd0, rec_total}), .more(more_flag),
        .open_count(${resize('open_count', NB, 8)}), .item_count(${mc('item_count')}),
        .remaining(${mc('match_count')} - {12'd0, rec_total}),
        .data(rsp_byte), .last_byte(rsp_last_byte)
    );
    // The response leaves through two register stages (the response module's byte source,
    // then the byte), so the message muxes end at registers: a byte comes two cycles after
    // its EMIT cycle, and cmd_ready waits for the last one.
    reg        emitted, emitted_last;   // stage 1: an EMIT cycle, its last byte
    reg        rsp_valid_q, rsp_last_q;
    reg [7:0]  rsp_data_q;
    always @(posedge clk) begin
        emitted <= !rst && state == S_EMIT;
        emitted_last <= !rst && state == S_EMIT && emit_final && rsp_last_byte;
        rsp_valid_q <= !rst && emitted;
        rsp_data_q <= emitted ? rsp_byte : 8'h00;
        rsp_last_q <= !rst && emitted_last;
    end
    assign cmd_ready = (state == S_IDLE) && !emitted && !rsp_valid_q;
    assign rsp_valid = rsp_valid_q;
    assign rsp_data = rsp_data_q;
    assign rsp_last = rsp_last_q;

    // ---------------------------------------------------------------- selected slot
    // cur_slot's next value, computed apart from the sequencing so that the window bank can
    // register the fields of the slot selected next (its sel_* outputs are registers).
    always @(*) begin
        cur_slot_next = cur_slot;
        if (!rst) begin
            case (state)
            S_IDLE: if (cmd_valid && cmd_ready) cur_slot_next = cmd_data[${8 * winOff + 3}:${8 * winOff}];
            // Whatever the checks say: a failed op answers with an error that names no window,
            // and the next command selects its own slot, so the checks stay off this path.
            S_CHECK:
                if (sel_free_slot) cur_slot_next = free_slot;
                else if (sel_slot_zero) cur_slot_next = 4'd0;
            S_STORE_WRITE: cur_slot_next = rd_slot;    // the victim's window, for its item count and id
            S_RECALL_REC: cur_slot_next = rd_slot;
            S_LIST_NEXT, S_FOCUS_SCAN, S_DECAY_WINDOWS: cur_slot_next = cur_slot + 4'd1;
            S_FOCUS_DONE: cur_slot_next = focus_slot;
            // Taken on every scan step (only a hit's is used), so the hit test stays off this path.
            S_DECAY_EVICT_SCAN: cur_slot_next = rd_slot;
            default: ;
            endcase
        end
    end
    always @(posedge clk) cur_slot <= cur_slot_next;

    // ---------------------------------------------------------------- sequencing
    always @(posedge clk) begin
        if (rst) begin
            state <= S_INIT;
            init_ptr <= ${lit(A, 0)};
            weights <= ${lit(40, weightsReset)};
            stamp_next <= ${lit(TB, 0)};
            item_count <= ${lit(CB, 0)};
        end else begin
            case (state)
            S_INIT: begin
                init_ptr <= init_ptr + ${lit(A, 1)};
                if (init_ptr == ${last}) state <= S_IDLE;
            end
            S_IDLE: if (cmd_valid && cmd_ready) begin
                weights_bad <= (${cmdWeightSum} != 11'd${WEIGHT_SUM});
                op_known <= cmd_op_known;
                recall_args_bad <= (${cmdField('limit')} == 8'd0 || ${cmdField('limit')} > 8'd${MAX_PAGE} || ${cmdField('order')} > 8'd1 || ${cmdField('hasCursor')} > 8'd1);
                sel_free_slot <= (cmd_op == ${opParam('open')});
                sel_slot_zero <= (cmd_op == ${opParam('list')}) || (cmd_op == ${opParam('focus')}) || (cmd_op == ${opParam('decay')});
                len_ok <= cmd_len_ok;
                scorer_in <= !cmd_has_salience ? ${lit(40, neutral)}
                           : (cmd_op == ${opParam('open')}) ? ${reqSlice(salOff('open'), 5, 'cmd_data')} : ${reqSlice(salOff('store'), 5, 'cmd_data')};
                req_op <= cmd_op;
                req_len <= cmd_len;
                req_data <= cmd_data;
                state <= S_CHECK;
            end
            S_CHECK: begin
                // SET_WEIGHTS can fail only on its length or its sum, so its write enable skips
                // the whole check chain (a shorter path than through chk_status).
                if (op_setWeights && len_ok && !weights_bad) weights <= req_weights;
${serialScorer ? '' : '                item_sal <= scored_sal;\n'}                err_status <= chk_status;
                err_arg <= chk_arg;
                if (chk_status != ${statusParam('ok')}) begin
                    if (chk_has_arg) begin
${emit('ERR_ARG', "1'b1", 'IDLE', '                        ')}
                    end else begin
${emit('ERR', "1'b1", 'IDLE', '                        ')}
                    end
                end else if (op_info || op_sync) begin
${emit('INFO', "1'b1", 'IDLE', '                    ')}
                end else if (op_open) state <= S_OPEN${serialScorer ? '_SCORE' : ''};
                else if (op_close) state <= S_CLOSE_START;
                else if (op_store) state <= S_STORE_${serialScorer ? 'SCORE' : 'START'};
                else if (op_recall) state <= S_RECALL_START;
                else if (op_list) begin
                    rec_done <= 4'd0;
                    rec_total <= ${resize('open_count', NB, 4)};
${emit('LIST_HEAD', 'list_empty', 'LIST_SCAN', '                    ', 'list_empty')}
                end else if (op_count) begin
${emit('COUNT', "1'b1", 'IDLE', '                    ')}
                end else if (op_focus) begin
                    focus_found <= 1'b0;
                    state <= S_FOCUS_SCAN;
                end else if (op_setWeights) begin
${emit('OK', "1'b1", 'IDLE', '                    ')}
                end else if (op_decay) state <= S_DECAY_WINDOWS;
                else state <= S_IDLE;
            end
            S_EMIT: begin
                if (rsp_last_byte) state <= emit_next;
                else emit_idx <= emit_idx + ${lit(IB, 1)};
            end

${
  serialScorer
    ? `            S_OPEN_SCORE, S_STORE_SCORE: if (!scorer_busy) begin
                item_sal <= scored_sal;
                state <= op_open ? S_OPEN : S_STORE_START;
            end

`
    : ''
}            // OPEN: the bank opens its lowest closed slot (through its gate).
            S_OPEN: begin
${emit('OPEN', "1'b1", 'IDLE', '                ')}
            end

            // CLOSE: free the window's items, then close it (through the bank's min gate).
            S_CLOSE_START: begin
                match_count <= ${lit(CB, 0)};
                state <= S_CLOSE_SCAN;
            end
            S_CLOSE_SCAN: begin
                if (rd_valid && rd_slot == cur_slot) match_count <= match_count + ${lit(CB, 1)};
                if (scan_last) state <= S_CLOSE_FIN;
            end
            S_CLOSE_FIN: begin
                item_count <= item_count - match_count;
${emit('CLOSE', "1'b1", 'IDLE', '                ')}
            end

            // STORE: one scan finds the victim (lowest (sal, stamp) in scope) and the lowest free address.
            S_STORE_START: begin
                if (bank_sel_items >= ${lit(QB, QUOTA)}) evict_mode <= EVICT_WINDOW;
                else if (item_count == ${lit(CB, CAP)}) evict_mode <= EVICT_GLOBAL;
                else evict_mode <= EVICT_NONE;
                scope_all <= !(bank_sel_items >= ${lit(QB, QUOTA)});
                key_mode <= KEY_SAL_ASC;
                has_last <= 1'b0;
                best_found <= 1'b0;
                free_found <= 1'b0;
                state <= S_STORE_SCAN;
            end
            S_STORE_SCAN: begin
                if (candidate && better) begin
                    best_key <= rd_key;
                    best_addr <= rd_addr_q;
                    best_found <= 1'b1;
                end
                if (!rd_valid && !free_found) begin
                    free_addr <= rd_addr_q;
                    free_found <= 1'b1;
                end
                if (store_scan_stop) state <= S_STORE_VICTIM;
            end
            S_STORE_VICTIM: begin   // reads the victim's record
                evicted <= evicted_next;
                free_addr <= store_target;
                state <= S_STORE_WRITE;
            end
            S_STORE_WRITE: begin
                if (!evicted) item_count <= item_count + ${lit(CB, 1)};
                state <= S_STORE_DEC;
            end
            S_STORE_DEC: begin
${emit('(evicted ? MSG_STORE_EVICTED : MSG_STORE)', "1'b1", 'STORE_DONE', '                ')}
            end
            S_STORE_DONE: begin
                stamp_next <= stamp_next + ${lit(TB, 1)};
                state <= S_IDLE;
            end

            // RECALL: count the matches, then one pass per record.
            S_RECALL_START: begin
                has_last <= (req_has_cursor == 8'd1);
                last_key <= cursor_key;
                key_mode <= (req_order == 8'd1) ? KEY_SAL_DESC : KEY_STAMP;
                scope_all <= req_all_windows;
                match_count <= ${lit(CB, 0)};
                state <= S_RECALL_COUNT;
            end
            S_RECALL_COUNT: begin
                if (candidate) match_count <= match_count + ${lit(CB, 1)};
                if (scan_last) state <= S_RECALL_HEAD;
            end
            S_RECALL_HEAD: begin
                rec_total <= recall_page;
                rec_done <= 4'd0;
                more_flag <= (${matchWide} > page_limit);
${emit('RECALL_HEAD', 'no_matches', 'RECALL_PASS_START', '                ', 'no_matches')}
            end
            S_RECALL_PASS_START: begin
                best_found <= 1'b0;
                state <= S_RECALL_PASS;
            end
            S_RECALL_PASS: begin
                if (candidate && better) begin
                    best_key <= rd_key;
                    best_addr <= rd_addr_q;
                    best_found <= 1'b1;
                end
                if (scan_last) state <= S_RECALL_FETCH;
            end
            S_RECALL_FETCH: state <= S_RECALL_REC;
            S_RECALL_REC: begin
                last_key <= best_key;
                has_last <= 1'b1;
                rec_done <= rec_done + 4'd1;
${emit('RECALL_REC', 'rec_is_last', 'RECALL_PASS_START', '                ', 'rec_is_last')}
            end

            // LIST: the open windows in slot order.
            S_LIST_SCAN: begin
                if (bank_sel_open) begin
                    rec_done <= rec_done + 4'd1;
${emit('LIST_REC', 'rec_is_last', 'LIST_NEXT', '                    ', 'rec_is_last')}
                end else state <= S_LIST_NEXT;
            end
            S_LIST_NEXT: begin
                state <= (cur_slot == 4'd${W - 1}) ? S_IDLE : S_LIST_SCAN;
            end

            // FOCUS: highest window salience, lowest slot on ties.
            S_FOCUS_SCAN: begin
                if (bank_sel_open && (!focus_found || bank_sel_wsal > focus_sal)) begin
                    focus_slot <= cur_slot;
                    focus_sal <= bank_sel_wsal;
                    focus_found <= 1'b1;
                end
                if (cur_slot == 4'd${W - 1}) state <= S_FOCUS_DONE;
            end
            S_FOCUS_DONE: begin
${emit('FOCUS', "1'b1", 'IDLE', '                ')}
            end

            // DECAY: step every window (one slot per cycle) and every item, count the items
            // below the threshold, then evict them in address order, at most MAX_PAGE.
            S_DECAY_WINDOWS: if (cur_slot == 4'd${W - 1}) state <= S_DECAY_START;
            S_DECAY_START: begin
                match_count <= ${lit(CB, 0)};
                state <= S_DECAY_SCAN;
            end
            S_DECAY_SCAN: begin
                if (rd_valid && decayed_sal < req_threshold) match_count <= match_count + ${lit(CB, 1)};
                if (scan_last) state <= S_DECAY_HEAD;
            end
            S_DECAY_HEAD: begin
                rec_total <= decay_page;
                rec_done <= 4'd0;
${emit('DECAY_HEAD', 'no_matches', 'DECAY_EVICT_START', '                ', 'no_matches')}
            end
            S_DECAY_EVICT_START: state <= S_DECAY_EVICT_SCAN;
            S_DECAY_EVICT_SCAN: begin
                if (decay_hit) begin
                    item_count <= item_count - ${lit(CB, 1)};
                    state <= S_DECAY_EVICT_DEC;
                end else if (scan_last) state <= S_IDLE;
            end
            S_DECAY_EVICT_DEC: begin
                rec_done <= rec_done + 4'd1;
${emit('DECAY_REC', 'rec_is_last', 'DECAY_EVICT_RESUME', '                ', 'rec_is_last')}
            end
            S_DECAY_EVICT_RESUME: state <= scan_last ? S_IDLE : S_DECAY_EVICT_SCAN;

            default: state <= S_IDLE;
            endcase
        end
    end
${formalSection(shape, [...continuations].sort())}
endmodule

\`default_nettype wire
`;
  return { name: `${name}.v`, text };
}
