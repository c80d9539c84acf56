/** Sequence logic, core driver and response capture: janela_link_sequencer. */
import { IN_FLIGHT, MAX_REQUEST_PAYLOAD, STATUS } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import {
  BAD_SEQUENCE_SLOTS,
  QUEUE_LEN_INDEX,
  QUEUE_ROW_BITS,
  QUEUE_SEQ_INDEX,
  QUEUE_SLOT_BITS,
  REQUEST_LEN_BITS,
  SLOT_HEADER_BYTES,
  indexBits,
  type RingLayout,
} from './params.js';

export const SEQUENCER_MODULE = 'janela_link_sequencer';

/** Payload bits of the command interface (docs/hardware.md: cmd_data[8·15−1:0]). */
export const CMD_DATA_BITS = 8 * MAX_REQUEST_PAYLOAD;

/** Bytes of a slot before its payload: the header and the status. */
const BEFORE_PAYLOAD = SLOT_HEADER_BYTES + 1;

/** A function giving each slot's first address (its LEN) or size in bytes (< 256): a table, not arithmetic. */
export function slotTable(ring: RingLayout, field: 'base' | 'size', indent: string): string {
  const width = field === 'base' ? ring.addrBits : 8;
  const arms = ring.ids.map((id, i) => `${indent}        ${lit(ring.slotBits, id)}: ${field}_of = ${lit(width, ring[field][i]!)};`);
  return [
    `${indent}function automatic [${width - 1}:0] ${field}_of(input [${ring.slotBits - 1}:0] slot);`,
    `${indent}    case (slot)`,
    ...arms,
    `${indent}        default: ${field}_of = ${lit(width, 0)};`,
    `${indent}    endcase`,
    `${indent}endfunction`,
  ].join('\n');
}

/**
 * Takes the head of the request queue and applies docs/protocol.md's sequence table:
 *
 * - SYNC: expected := SEQ + 1, replay history forgotten; the core runs INFO and the
 *   answer goes to the scratch slot (sent, never replayed);
 * - SEQ = expected: the payload is loaded from the queue RAM into cmd_data, the core
 *   runs it, and its response stream is captured into ring slot SEQ mod IN_FLIGHT;
 * - a SEQ among the last `stored` executed ones: its slot is queued for sending again;
 * - anything else: a BadSequence answer carrying `expected`, written to the next
 *   BadSequence slot (params.ts says why taking them in turn is safe).
 *
 * Every answer is written whole into its slot (params.ts: LEN, SEQ, status, payload): SEQ
 * as the answer starts, the response as it streams, LEN once its end is known. A transmit
 * job then only names the slot. The queue head's SEQ is read from the queue RAM, where the
 * request queue keeps it (see load_index).
 *
 * A request runs only when its target slot is not queued for or being transmitted
 * (busy_query/busy_answer), and only when the TX job queue has room, so an answer is never
 * lost and a stored answer is never overwritten while it is on the wire.
 */
export function generateSequencer(ring: RingLayout): VerilogFile {
  const slotW = ring.slotBits;
  const addrW = ring.addrBits;
  const lenW = REQUEST_LEN_BITS;
  const idxW = QUEUE_ROW_BITS;
  const storedW = QUEUE_SLOT_BITS + 1;
  const queryW = indexBits(ring.scratchSlot + 1);
  const badW = indexBits(BAD_SEQUENCE_SLOTS);
  const widen = (w: number) => `{${w - QUEUE_SLOT_BITS > 0 ? `${lit(w - QUEUE_SLOT_BITS, 0)}, ` : ''}head_seq[${QUEUE_SLOT_BITS - 1}:0]}`;
  const text = `${header(SEQUENCER_MODULE, 'sequence numbers, replay, core driver, response capture', {
    IN_FLIGHT,
    RING_SLOTS: ring.ids,
    RING_BASE: ring.base,
    RING_SIZE: ring.size,
  })}
\`default_nettype none

module ${SEQUENCER_MODULE} (
    input  wire         clk,
    input  wire         rst,
    // head of the request queue
    input  wire         head_valid,
    input  wire         head_is_sync,
    output wire         head_pop,
    output wire [${idxW - 1}:0]   payload_index,
    input  wire [7:0]   payload_data,
    // the core's command interface
    output wire         cmd_valid,
    input  wire         cmd_ready,
    output reg  [7:0]   cmd_op,
    output wire [7:0]   cmd_len,
    output reg  [${CMD_DATA_BITS - 1}:0] cmd_data,
    input  wire         rsp_valid,
    input  wire [7:0]   rsp_data,
    input  wire         rsp_last,
    // response RAM write port
    output wire         ring_write,
    output wire [${addrW - 1}:0]   ring_addr,
    output reg  [7:0]   ring_data,
    // jobs for the TX scheduler: send slot job_slot
    output wire         job_push,
    output wire [${slotW - 1}:0]   job_slot,
    input  wire         job_full,
    output wire [${queryW - 1}:0]   busy_query,     // is this replay or scratch slot still to be sent?
    input  wire         busy_answer,    // the scheduler's answer, combinational
    output wire         idle
);
    localparam [7:0] BAD_SEQUENCE = ${lit(8, STATUS.badSequence.code)};
    localparam [${storedW - 1}:0] HISTORY = ${lit(storedW, IN_FLIGHT)};
    localparam [${slotW - 1}:0] SCRATCH_SLOT = ${lit(slotW, ring.scratchSlot)};
    localparam [${slotW - 1}:0] FIRST_BAD_SEQUENCE_SLOT = ${lit(slotW, ring.firstBadSequenceSlot)};
    localparam [${badW - 1}:0] LAST_BAD_SEQUENCE = ${lit(badW, BAD_SEQUENCE_SLOTS - 1)};
    // Request queue slot (params.ts): LEN, SEQ, OP at the top, payload from 0 after the wrap.
    localparam [${idxW - 1}:0] LAST_LOAD = ${lit(idxW, MAX_REQUEST_PAYLOAD)};
    localparam [${idxW - 1}:0] AT_HEAD_SEQ = ${lit(idxW, QUEUE_SEQ_INDEX)};
    localparam [${idxW - 1}:0] AT_HEAD_LEN = ${lit(idxW, QUEUE_LEN_INDEX)};
    // Byte offsets within a slot (params.ts: LEN, SEQ, status, payload).
    localparam [7:0] AT_SEQ = 8'd1, AT_STATUS = 8'd2;
    // LEN = bytes written - header - status.
    localparam [7:0] BEFORE_PAYLOAD = ${lit(8, BEFORE_PAYLOAD)};

    // S_BAD writes a BadSequence answer's SEQ, status and payload; S_FINISH writes LEN.
    localparam [2:0] S_IDLE = 3'd0, S_LOAD = 3'd1, S_ISSUE = 3'd2, S_CAPTURE = 3'd3,
                     S_BAD = 3'd4, S_FINISH = 3'd5;

    reg [2:0]  state;
    reg [7:0]  expected;         // next SEQ to execute
    reg [${lenW - 1}:0]  request_len;      // cmd_len (a request's LEN fits ${lenW} bits)
    reg [${storedW - 1}:0]  stored;           // executed responses kept for replay (0..IN_FLIGHT)
    reg [${slotW - 1}:0]  target;           // slot the current answer is written to
    reg [${idxW - 1}:0]  load_index;       // byte of the head's queue slot being read; AT_HEAD_SEQ at rest
    reg        head_settling;    // the queue popped last cycle: the RAM still shows the old head
    reg [7:0]  offset;           // byte of the target slot written next (saturates at its size)
    reg [${badW - 1}:0]  bad_next;         // BadSequence slot the next such answer takes

${slotTable(ring, 'base', '    ')}
${slotTable(ring, 'size', '    ')}

    // Outside S_LOAD the queue RAM is read at the head's SEQ, so it is on payload_data
    // (one cycle after a pop: head_settling).
    wire [7:0] head_seq = payload_data;

    // Classification of the queue head (docs/protocol.md, sequence table).
    wire [7:0] distance = expected - head_seq;
    wire       is_sync = head_is_sync;
    wire       is_next = (distance == 8'd0);
    // distance in 1..stored, compared on stored's width (stored < 2^storedW).
    wire       is_replay = (distance[7:${storedW}] == ${lit(8 - storedW, 0)}) && (distance[${storedW - 1}:0] != ${lit(storedW, 0)})
                        && (distance[${storedW - 1}:0] <= stored);
    wire [${slotW - 1}:0] head_slot = ${widen(slotW)};

    wire take = (state == S_IDLE) && head_valid && !head_settling && !job_full;
    // The slot the head's answer would overwrite: the scratch slot or SEQ's ring slot.
    assign busy_query = is_sync ? SCRATCH_SLOT[${queryW - 1}:0] : head_slot[${queryW - 1}:0];
    wire start_sync = take && is_sync && !busy_answer;
    wire start_exec = take && !is_sync && is_next && !busy_answer;
    wire answer_now = take && !is_sync && !is_next;  // replay or BadSequence: no core involved
    wire load_done = (state == S_LOAD) && (load_index == LAST_LOAD);

    wire slot_has_room = (offset != size_of(target));   // counts up to the size, never past

    assign head_pop = answer_now || load_done;
    assign payload_index = load_index;
    assign cmd_valid = (state == S_ISSUE);
    assign cmd_len = {${lit(8 - lenW, 0)}, request_len};
    assign idle = (state == S_IDLE);

    // An answer's SEQ is written in the first cycle of S_LOAD or S_BAD: the queue RAM still
    // shows the SEQ it was read at when the answer started (the load moves on only now, and
    // a pop shows a cycle later), so no register keeps it.
    wire seq_on_ram = (state == S_LOAD) && (load_index == AT_HEAD_LEN);
    assign ring_write = seq_on_ram || (state == S_BAD) || (state == S_FINISH)
                     || ((state == S_CAPTURE) && rsp_valid && slot_has_room);
    assign ring_addr = base_of(target) + {${lit(addrW - 8, 0)}, (state == S_FINISH) ? 8'd0 : offset};
    always @* begin
        case (state)
            S_CAPTURE: ring_data = rsp_data;
            S_FINISH:  ring_data = offset - BEFORE_PAYLOAD;   // LEN
            default:   // S_LOAD (offset AT_SEQ) and S_BAD
                case (offset[1:0])
                    AT_SEQ[1:0]:    ring_data = head_seq;   // the answer's SEQ (see seq_on_ram)
                    AT_STATUS[1:0]: ring_data = BAD_SEQUENCE;
                    default:        ring_data = expected;
                endcase
        endcase
    end

    assign job_push = (answer_now && is_replay) || (state == S_FINISH);
    assign job_slot = (state == S_IDLE) ? head_slot : target;

    always @(posedge clk) begin
        if (rst) begin
            state <= S_IDLE;
            expected <= 8'd0;
            stored <= ${lit(storedW, 0)};
            target <= ${lit(slotW, 0)};
            load_index <= AT_HEAD_SEQ;
            head_settling <= 1'b0;
            offset <= 8'd0;
            bad_next <= ${lit(badW, 0)};
            cmd_op <= 8'd0;
            request_len <= ${lit(lenW, 0)};
        end else begin
            head_settling <= head_pop;
            case (state)
                S_IDLE:
                    if (start_sync) begin
                        // Through S_LOAD with LEN 0: the core gets INFO (the queue stored a SYNC's
                        // OP as INFO's) with an all-zero payload.
                        state <= S_LOAD;
                        expected <= head_seq + 8'd1;
                        stored <= ${lit(storedW, 0)};
                        target <= SCRATCH_SLOT;
                        offset <= AT_SEQ;
                        request_len <= ${lit(lenW, 0)};
                        load_index <= AT_HEAD_LEN;
                    end else if (start_exec) begin
                        state <= S_LOAD;
                        expected <= head_seq + 8'd1;   // = expected + 1
                        stored <= (stored == HISTORY) ? HISTORY : stored + 1'b1;
                        target <= head_slot;
                        offset <= AT_SEQ;
                        load_index <= AT_HEAD_LEN;   // cmd_len and cmd_op come from the RAM
                    end else if (answer_now && !is_replay) begin
                        state <= S_BAD;
                        target <= FIRST_BAD_SEQUENCE_SLOT | {${lit(slotW - badW, 0)}, bad_next};
                        offset <= AT_SEQ;
                        bad_next <= (bad_next == LAST_BAD_SEQUENCE) ? ${lit(badW, 0)} : bad_next + 1'b1;
                    end
                S_LOAD: begin
                    // Reads LEN, SEQ, OP, payload 0..LAST_LOAD (the index wraps); each byte
                    // arrives a cycle after it is asked for. A SYNC keeps INFO and LEN 0.
                    load_index <= load_index + 1'b1;
                    if (load_index == AT_HEAD_SEQ && target != SCRATCH_SLOT)
                        request_len <= payload_data[${lenW - 1}:0];   // from AT_HEAD_LEN
                    if (load_index == ${lit(idxW, 0)}) cmd_op <= payload_data;   // from AT_HEAD_OP (INFO for a SYNC)
                    if (load_done) begin
                        state <= S_ISSUE;
                        load_index <= AT_HEAD_SEQ;
                    end
                end
                S_ISSUE:
                    if (cmd_ready) begin
                        state <= S_CAPTURE;
                        offset <= AT_STATUS;
                    end
                S_CAPTURE:
                    if (rsp_valid) begin
                        if (slot_has_room) offset <= offset + 8'd1;
                        if (rsp_last) state <= S_FINISH;
                    end
                S_BAD: begin
                    // SEQ, status, then \`expected\` as the payload.
                    offset <= offset + 8'd1;
                    if (offset == AT_STATUS + 8'd1) state <= S_FINISH;
                end
                S_FINISH:
                    state <= S_IDLE;
                default:
                    state <= S_IDLE;
            endcase
        end
    end

    // The payload shifts in a byte per cycle, byte 0 ending in bits 7:0. The RAM answers one
    // cycle late: index k's byte arrives while k+1 is asked. Bytes past LEN are zeroed, so
    // stale queue contents never reach the core. No reset: only loads write it.
    wire [${idxW - 1}:0] arriving_index = load_index - 1'b1;
    wire arriving_in_payload = ({${lit(8 - idxW, 0)}, arriving_index} < cmd_len);
    wire payload_arriving = (load_index != ${lit(idxW, 0)}) && (load_index <= LAST_LOAD);
    always @(posedge clk) begin
        if (state == S_LOAD && payload_arriving)
            cmd_data <= {arriving_in_payload ? payload_data : 8'd0, cmd_data[${CMD_DATA_BITS - 1}:8]};
    end
endmodule

\`default_nettype wire
`;
  return { name: `${SEQUENCER_MODULE}.v`, text };
}

/** The status byte of a generated BadSequence answer. */
export const BAD_SEQUENCE_STATUS = STATUS.badSequence.code;
