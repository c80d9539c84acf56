/**
 * The core's response messages, as data: each message is a list of spec layout fields
 * (spec/protocol.ts) with the register each field is read from. The response block
 * turns the table into a byte multiplexer: the controller names a message and a byte
 * index, and gets the byte (little-endian fields, as the layouts say).
 */
import {
  FIELD_BYTES,
  INFO_LAYOUT,
  MAX_PAGE,
  OPS,
  PROTOCOL_VERSION,
  STATUS,
  buildId,
  type CoreConfig,
  type Field,
} from '../../spec/index.js';
import { header, lit, type VerilogFile } from '../verilog.js';
import { MODULES } from './shape.js';

/** Where a field's bytes come from. */
type Source = { readonly signal: string } | { readonly constant: bigint } | { readonly byteExpr: string };

interface MessageField {
  readonly field: Field;
  readonly source: Source;
}

export interface Message {
  /** Localparam suffix: MSG_<name>. */
  readonly name: string;
  readonly fields: readonly MessageField[];
}

/** Signals the response block reads, with their widths. */
export const RESPONSE_SIGNALS = {
  err_status: 8,
  err_arg: 8,
  win_id: 16,
  win_sal: 8,
  win_items: 16,
  freed: 16,
  item_sal: 8,
  stamp_next: 40,
  rd_sal: 8,
  rd_stamp: 40,
  rd_handle: 64,
  page_count: 8,
  more: 1,
  open_count: 8,
  item_count: 16,
  remaining: 16,
} as const;
export type ResponseSignal = keyof typeof RESPONSE_SIGNALS;

const sig = (signal: ResponseSignal): Source => ({ signal });
const constant = (value: number | bigint): Source => ({ constant: BigInt(value) });
const okStatus: MessageField = { field: { name: 'status', type: 'u8' }, source: constant(STATUS.ok.code) };

/** Pairs each layout field with its source; every field must be named, so layouts and table stay in step. */
function bind(fields: readonly Field[], sources: Record<string, Source>): MessageField[] {
  return fields.map((field) => {
    const source = sources[field.name];
    if (!source) throw new Error(`no source for response field ${field.name}`);
    return { field, source };
  });
}

function infoSources(config: CoreConfig): Record<string, Source> {
  const weights = config.weights.reduce((acc, w, i) => acc | (BigInt(w) << BigInt(8 * i)), 0n);
  return {
    protocolVersion: constant(PROTOCOL_VERSION),
    maxWindows: constant(config.maxWindows),
    minWindows: constant(config.minWindows),
    capacity: constant(config.capacity),
    quota: constant(config.quota),
    maxPage: constant(MAX_PAGE),
    weights: { constant: weights },
    buildId: constant(buildId(config)),
  };
}

/** Every message the core sends; head messages start with the OK status byte. */
export function coreMessages(config: CoreConfig): Message[] {
  const rec = <K extends 'recall' | 'list' | 'decay'>(op: K) => OPS[op].response.records.fields;
  return [
    { name: 'INFO', fields: [okStatus, ...bind(INFO_LAYOUT.fields, infoSources(config))] },
    { name: 'ERR', fields: [{ field: { name: 'status', type: 'u8' }, source: sig('err_status') }] },
    {
      name: 'ERR_ARG',
      fields: [
        { field: { name: 'status', type: 'u8' }, source: sig('err_status') },
        { field: { name: 'arg', type: 'u8' }, source: sig('err_arg') },
      ],
    },
    { name: 'OK', fields: [okStatus] },
    {
      name: 'OPEN',
      fields: [okStatus, ...bind(OPS.open.response.fields, { window: sig('win_id'), salience: sig('win_sal') })],
    },
    { name: 'CLOSE', fields: [okStatus, ...bind(OPS.close.response.fields, { freed: sig('freed') })] },
    // Two STORE messages, so that "no eviction" is a row of constant zeros, not a gate per byte.
    ...[true, false].map((evicted) => ({
      name: evicted ? 'STORE_EVICTED' : 'STORE',
      fields: [
        okStatus,
        ...bind(OPS.store.response.fields, {
          salience: sig('item_sal'),
          stamp: sig('stamp_next'),
          evicted: constant(evicted ? 1 : 0),
          evictedWindow: evicted ? sig('win_id') : constant(0),
          evictedSalience: evicted ? sig('rd_sal') : constant(0),
          evictedHandle: evicted ? sig('rd_handle') : constant(0),
        }),
      ],
    })),
    {
      name: 'RECALL_HEAD',
      fields: [
        okStatus,
        ...bind(OPS.recall.response.fields, { count: sig('page_count'), more: { byteExpr: "{7'd0, more}" } }),
      ],
    },
    {
      name: 'RECALL_REC',
      fields: bind(rec('recall'), {
        window: sig('win_id'),
        salience: sig('rd_sal'),
        stamp: sig('rd_stamp'),
        handle: sig('rd_handle'),
      }),
    },
    { name: 'LIST_HEAD', fields: [okStatus, ...bind(OPS.list.response.fields, { count: sig('open_count') })] },
    {
      name: 'LIST_REC',
      fields: bind(rec('list'), { window: sig('win_id'), salience: sig('win_sal'), items: sig('win_items') }),
    },
    {
      name: 'COUNT',
      fields: [okStatus, ...bind(OPS.count.response.fields, { open: sig('open_count'), items: sig('item_count') })],
    },
    {
      name: 'FOCUS',
      fields: [okStatus, ...bind(OPS.focus.response.fields, { window: sig('win_id'), salience: sig('win_sal') })],
    },
    {
      name: 'DECAY_HEAD',
      fields: [
        okStatus,
        ...bind(OPS.decay.response.fields, { count: sig('page_count'), remaining: sig('remaining') }),
      ],
    },
    {
      name: 'DECAY_REC',
      fields: bind(rec('decay'), { window: sig('win_id'), salience: sig('rd_sal'), handle: sig('rd_handle') }),
    },
  ];
}

/** Verilog expressions of a field's bytes, least significant first. */
function fieldBytes({ field, source }: MessageField): string[] {
  const n = FIELD_BYTES[field.type];
  if ('byteExpr' in source) {
    if (n !== 1) throw new Error(`byte expression for multi-byte field ${field.name}`);
    return [source.byteExpr];
  }
  if ('constant' in source) {
    return [...Array(n).keys()].map((i) => lit(8, (source.constant >> BigInt(8 * i)) & 0xffn));
  }
  const width = RESPONSE_SIGNALS[source.signal as ResponseSignal];
  if (width !== 8 * n) throw new Error(`signal ${source.signal} is ${width} bits, field ${field.name} needs ${8 * n}`);
  return [...Array(n).keys()].map((i) => `${source.signal}[${8 * i + 7}:${8 * i}]`);
}

export function messageBytes(m: Message): string[] {
  return m.fields.flatMap(fieldBytes);
}

/** Bits of the message selector and of the byte index. */
export function messageWidths(messages: readonly Message[]): { msgBits: number; idxBits: number } {
  const longest = Math.max(...messages.map((m) => messageBytes(m).length));
  return {
    msgBits: Math.max(1, Math.ceil(Math.log2(messages.length))),
    idxBits: Math.max(1, Math.ceil(Math.log2(longest))),
  };
}

/**
 * Two small multiplexers instead of one wide one: (message, byte index) → which byte
 * source, then source → byte. Every distinct byte (a register byte or a constant) is one
 * source, shared by every message that sends it.
 *
 * A register sits between the two: `data` is the byte of the (msg, idx) of the previous
 * cycle, read from the sources as they are now. The controller changes no byte source in
 * an EMIT cycle, so that is the byte the previous cycle asked for. `last_byte` is of the
 * current (msg, idx).
 */
export function generateResponse(config: CoreConfig): VerilogFile {
  const name = MODULES.response;
  const messages = coreMessages(config);
  const { msgBits: MB, idxBits: IB } = messageWidths(messages);
  const sources: string[] = [];
  const sourceOf = (expr: string) => {
    let i = sources.indexOf(expr);
    if (i < 0) i = sources.push(expr) - 1;
    return i;
  };
  sourceOf("8'h00"); // source 0: what an unused index reads
  const rows = messages.map((m) => messageBytes(m).map(sourceOf));
  const SB = Math.max(1, Math.ceil(Math.log2(sources.length)));
  const ports = Object.entries(RESPONSE_SIGNALS).map(
    ([s, w]) => `    input  wire ${w > 1 ? `[${w - 1}:0]` : '      '} ${s},`,
  );
  const romArms = messages.flatMap((m, code) => [
    `            // ${m.name}: ${m.fields.map((f) => f.field.name).join(', ')}`,
    ...rows[code]!.map((src, i) => `            {${lit(MB, code)}, ${lit(IB, i)}}: source = ${lit(SB, src)};`),
  ]);
  const lastArms = messages.map(
    (m, code) => `            ${lit(MB, code)}: last_byte = (idx == ${lit(IB, rows[code]!.length - 1)});  // ${m.name}`,
  );
  const dataArms = sources.map((expr, i) => `            ${lit(SB, i)}: data = ${expr};`);
  const text = `${header(name, 'response bytes: message table (spec/protocol.ts layouts) to byte multiplexer', {
    messages: messages.map((m) => `${m.name}(${messageBytes(m).length})`),
    byteSources: sources.length,
  })}
\`default_nettype none

module ${name} (
    input  wire        clk,
    input  wire [${MB - 1}:0]  msg,
    input  wire [${IB - 1}:0]  idx,
${ports.join('\n')}
    output reg  [7:0]  data,       // the byte of the previous cycle's (msg, idx)
    output reg         last_byte   // idx is the message's last byte
);
    reg [${SB - 1}:0] source;
    reg [${SB - 1}:0] source_q;
    always @(posedge clk) source_q <= source;
    always @(*) begin
        case ({msg, idx})
${romArms.join('\n')}
            default: source = ${lit(SB, 0)};
        endcase
    end

    always @(*) begin
        case (source_q)
${dataArms.join('\n')}
            default: data = 8'h00;
        endcase
    end

    always @(*) begin
        case (msg)
${lastArms.join('\n')}
            default: last_byte = 1'b1;
        endcase
    end
endmodule

\`default_nettype wire
`;
  return { name: `${name}.v`, text };
}

/** Localparams naming the messages, for the controller. */
export function messageParams(config: CoreConfig): string {
  const messages = coreMessages(config);
  const { msgBits } = messageWidths(messages);
  return messages.map((m, i) => `    localparam [${msgBits - 1}:0] MSG_${m.name} = ${lit(msgBits, i)};`).join('\n');
}
