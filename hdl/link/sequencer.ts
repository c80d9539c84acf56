/** Sequence logic, core driver and response capture: janela_link_sequencer. */
import { IN_FLIGHT, MAX_REQUEST_PAYLOAD, OPS, STATUS } from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { QUEUE_INDEX_BITS, QUEUE_SLOT_BITS, REQUEST_LEN_BITS, type RingLayout } from './params.js';

export const SEQUENCER_MODULE = 'janela_link_sequencer';

/** Payload bits of the command interface (docs/hardware.md: cmd_data[8·15−1:0]). */
export const CMD_DATA_BITS = 8 * MAX_REQUEST_PAYLOAD;

/** A function giving each ring slot's base address or size: a table, not arithmetic. */
export function slotTable(ring: RingLayout, field: 'base' | 'size', indent: string): string {
  const width = field === 'base' ? ring.addrBits : ring.addrBits + 1;
  const arms = ring.base.map((_, i) => `${indent}        ${lit(ring.slotBits, i)}: ${field}_of = ${lit(width, ring[field][i]!)};`);
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
 * - anything else: a generated BadSequence answer carrying `expected`.
 *
 * A request runs only when its target slot is not queued for or being transmitted
 * (slot_busy), and only when the TX job queue has room, so an answer is never lost and
 * a stored answer is never overwritten while it is on the wire.
 */
export function generateSequencer(ring: RingLayout): VerilogFile {
  const slotW = ring.slotBits;
  const addrW = ring.addrBits;
  const scratch = lit(slotW, IN_FLIGHT);
  const lenW = REQUEST_LEN_BITS;
  const idxW = QUEUE_INDEX_BITS;
  const storedW = QUEUE_SLOT_BITS + 1;
  const ringSlot = `{${slotW - QUEUE_SLOT_BITS > 0 ? `${lit(slotW - QUEUE_SLOT_BITS, 0)}, ` : ''}head_seq[${QUEUE_SLOT_BITS - 1}:0]}`;
  const text = `${header(SEQUENCER_MODULE, 'sequence numbers, replay, core driver, response capture', {
    IN_FLIGHT,
    RING_BASE: ring.base,
    RING_SIZE: ring.size,
  })}
\`default_nettype none

module ${SEQUENCER_MODULE} (
    input  wire         clk,
    input  wire         rst,
    // head of the request queue
    input  wire         head_valid,
    input  wire [7:0]   head_seq,
    input  wire [7:0]   head_op,
    input  wire [${lenW - 1}:0]   head_len,
    output wire         head_pop,
    output wire [${idxW - 1}:0]   payload_index,
    input  wire [7:0]   payload_data,
    // the core's command interface
    output wire         cmd_valid,
    input  wire         cmd_ready,
    output reg  [7:0]   cmd_op,
    output reg  [7:0]   cmd_len,
    output reg  [${CMD_DATA_BITS - 1}:0] cmd_data,
    input  wire         rsp_valid,
    input  wire [7:0]   rsp_data,
    input  wire         rsp_last,
    // response RAM write port
    output wire         ring_write,
    output wire [${addrW - 1}:0]   ring_addr,
    output wire [7:0]   ring_data,
    // jobs for the TX scheduler
    output wire         job_push,
    output wire         job_generated,  // 1: a BadSequence answer made from job_arg, not from the RAM
    output wire [${slotW - 1}:0]   job_slot,
    output wire [7:0]   job_seq,
    output wire [7:0]   job_len,
    output wire [7:0]   job_arg,
    input  wire         job_full,
    input  wire [${ring.slots - 1}:0]   slot_busy,
    output wire         idle
);
    localparam [7:0] SYNC_OP = ${lit(8, OPS.sync.code)};
    localparam [7:0] INFO_OP = ${lit(8, OPS.info.code)};
    localparam [7:0] BAD_SEQUENCE_PAYLOAD_LEN = 8'd1;
    localparam [${storedW - 1}:0] HISTORY = ${lit(storedW, IN_FLIGHT)};
    localparam [${slotW - 1}:0] SCRATCH_SLOT = ${scratch};
    localparam [${idxW - 1}:0] LAST_LOAD = ${lit(idxW, MAX_REQUEST_PAYLOAD)};

    localparam [1:0] S_IDLE = 2'd0, S_LOAD = 2'd1, S_ISSUE = 2'd2, S_CAPTURE = 2'd3;

    reg [1:0]  state;
    reg [7:0]  expected;         // next SEQ to execute
    reg [${storedW - 1}:0]  stored;           // executed responses kept for replay (0..IN_FLIGHT)
    reg [${slotW - 1}:0]  target;           // slot the running command's answer goes to
    reg [7:0]  exec_seq;         // SEQ of the running command
    reg [${idxW - 1}:0]  load_index;       // payload byte being read from the queue RAM
    reg [${addrW}:0] capture_count;    // response bytes captured so far (saturates at the slot size)
    reg [7:0]  slot_len [0:${IN_FLIGHT - 1}];  // payload length of each stored response

${slotTable(ring, 'base', '    ')}
${slotTable(ring, 'size', '    ')}
    wire [${addrW - 1}:0] target_base = base_of(target);
    wire [${addrW}:0] target_size = size_of(target);

    // Classification of the queue head (docs/protocol.md, sequence table).
    wire [7:0] distance = expected - head_seq;
    wire       is_sync = (head_op == SYNC_OP);
    wire       is_next = (head_seq == expected);
    wire       is_replay = (distance != 8'd0) && ({${lit(8 - storedW, 0)}, stored} >= distance);
    wire [${slotW - 1}:0] head_slot = ${ringSlot};

    wire take = (state == S_IDLE) && head_valid && !job_full;
    wire start_sync = take && is_sync && !slot_busy[SCRATCH_SLOT];
    wire start_exec = take && !is_sync && is_next && !slot_busy[head_slot];
    wire answer_now = take && !is_sync && !is_next;  // replay or BadSequence: no core involved
    wire load_done = (state == S_LOAD) && (load_index == LAST_LOAD);

    wire slot_has_room = (capture_count < target_size);
    wire capture_last = (state == S_CAPTURE) && rsp_valid && rsp_last;
    wire [7:0] captured_len = slot_has_room ? capture_count[7:0] : (target_size[7:0] - 8'd1);

    assign head_pop = answer_now || load_done;
    assign payload_index = load_index;
    assign cmd_valid = (state == S_ISSUE);
    assign idle = (state == S_IDLE);

    assign ring_write = (state == S_CAPTURE) && rsp_valid && slot_has_room;
    assign ring_addr = target_base + capture_count[${addrW - 1}:0];
    assign ring_data = rsp_data;

    assign job_push = answer_now || capture_last;
    assign job_generated = (state == S_IDLE) && !is_replay;
    assign job_slot = (state == S_IDLE) ? head_slot : target;
    assign job_seq = (state == S_IDLE) ? head_seq : exec_seq;
    assign job_len = (state != S_IDLE) ? captured_len
                   : is_replay ? slot_len[head_seq[${QUEUE_SLOT_BITS - 1}:0]]
                   : BAD_SEQUENCE_PAYLOAD_LEN;
    assign job_arg = expected;

    always @(posedge clk) begin
        if (rst) begin
            state <= S_IDLE;
            expected <= 8'd0;
            stored <= ${lit(storedW, 0)};
            target <= ${lit(slotW, 0)};
            exec_seq <= 8'd0;
            load_index <= ${lit(idxW, 0)};
            capture_count <= ${lit(addrW + 1, 0)};
            cmd_op <= 8'd0;
            cmd_len <= 8'd0;
        end else begin
            case (state)
                S_IDLE:
                    if (start_sync) begin
                        // Through S_LOAD with LEN 0: the core gets INFO with an all-zero payload.
                        state <= S_LOAD;
                        expected <= head_seq + 8'd1;
                        stored <= ${lit(storedW, 0)};
                        target <= SCRATCH_SLOT;
                        exec_seq <= head_seq;
                        cmd_op <= INFO_OP;
                        cmd_len <= 8'd0;
                        load_index <= ${lit(idxW, 0)};
                    end else if (start_exec) begin
                        state <= S_LOAD;
                        expected <= expected + 8'd1;
                        stored <= (stored == HISTORY) ? HISTORY : stored + 1'b1;
                        target <= head_slot;
                        exec_seq <= head_seq;
                        cmd_op <= head_op;
                        cmd_len <= {${lit(8 - lenW, 0)}, head_len};
                        load_index <= ${lit(idxW, 0)};
                    end
                S_LOAD: begin
                    load_index <= load_index + 1'b1;
                    if (load_done) state <= S_ISSUE;
                end
                S_ISSUE:
                    if (cmd_ready) begin
                        state <= S_CAPTURE;
                        capture_count <= ${lit(addrW + 1, 0)};
                    end
                S_CAPTURE:
                    if (rsp_valid) begin
                        if (slot_has_room) capture_count <= capture_count + 1'b1;
                        if (rsp_last) state <= S_IDLE;
                    end
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
    always @(posedge clk) begin
        if (state == S_LOAD && load_index != ${lit(idxW, 0)})
            cmd_data <= {arriving_in_payload ? payload_data : 8'd0, cmd_data[${CMD_DATA_BITS - 1}:8]};
    end

    always @(posedge clk) begin
        if (capture_last && target != SCRATCH_SLOT) slot_len[target[${QUEUE_SLOT_BITS - 1}:0]] <= captured_len;
    end
endmodule

\`default_nettype wire
`;
  return { name: `${SEQUENCER_MODULE}.v`, text };
}

/** The status byte of a generated BadSequence answer. */
export const BAD_SEQUENCE_STATUS = STATUS.badSequence.code;
