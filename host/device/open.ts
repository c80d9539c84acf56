/**
 * openDevice: connects to a board's tty, to a freshly started simulator, or to the
 * in-process virtual board; then SYNC, and INFO checked against the expected config.
 */
import { z } from 'zod';
import { MAX_PAGE, PROTOCOL_VERSION, parseCoreConfig, type CoreConfig, type CoreConfigInput } from '../../spec/index.js';
import { CoreModel } from '../model/core.js';
import { decodeResponse, type InfoPayload } from '../protocol/messages.js';
import { DeviceMismatchError, LinkProtocolError, validateInput, type MismatchedField } from './errors.js';
import { LinkClient, type CompletedRequest } from './link.js';
import { openModelTransport, openSerialTransport, type Transport } from './transport.js';
import { WindowsDevice, type EvictedItem } from './device.js';

const rate = z.number().min(0).max(1);
const configInput = z.custom<CoreConfigInput>((v) => typeof v === 'object' && v !== null);

export const deviceTargetSchema = z.union([
  z.object({ path: z.string().min(1), baudRate: z.number().int().positive().optional() }).strict(),
  z
    .object({
      sim: z.literal(true),
      config: configInput.optional(),
      bitCycles: z.number().int().positive().optional(),
      drop: rate.optional(),
      flip: rate.optional(),
      seed: z.number().int().optional(),
      trace: z.string().optional(),
    })
    .strict(),
  z
    .object({
      model: z.literal(true),
      config: configInput.optional(),
      /** Seeded faults on both directions of the virtual line. */
      drop: rate.optional(),
      flip: rate.optional(),
      seed: z.number().int().optional(),
    })
    .strict(),
]);
export type DeviceTarget = z.input<typeof deviceTargetSchema>;

export const deviceOptionsSchema = z
  .object({
    /** The config the device must have been built from; checked against INFO on connect. */
    config: configInput.optional(),
    /** Per-attempt timeout of the oldest unanswered request. */
    timeoutMs: z.number().positive().optional(),
    /** Transmissions of one request without progress before LinkTimeoutError. */
    maxAttempts: z.number().int().positive().optional(),
    /** Requests pipelined (1..4). */
    inFlight: z.number().int().min(1).max(4).optional(),
    /** Sequence number of the connecting SYNC; random by default. Fixed, a model run is reproducible. */
    firstSeq: z.number().int().min(0).max(255).optional(),
    onEvict: z.custom<(item: EvictedItem) => void>((v) => typeof v === 'function').optional(),
    /** Every completed request in order (raw bytes): tracing and differential tests. */
    onComplete: z.custom<(r: CompletedRequest) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();
export type DeviceOptions = z.input<typeof deviceOptionsSchema>;

/** Worst case for one attempt at a line rate: IN_FLIGHT + 1 full responses, plus slack. */
function lineTimeoutMs(baud: number): number {
  return Math.ceil(100 + (5 * 10 * 256 * 1000) / baud);
}

export async function openDevice(target: DeviceTarget, options: DeviceOptions = {}): Promise<WindowsDevice> {
  const t = validateInput('openDevice target', deviceTargetSchema, target);
  const o = validateInput('openDevice options', deviceOptionsSchema, options);
  let transport: Transport;
  let expected: CoreConfig | undefined = o.config === undefined ? undefined : parseCoreConfig(o.config);
  let stop: (() => Promise<void>) | undefined;
  let engine;
  let timeoutMs: number;
  if ('path' in t) {
    const baud = t.baudRate ?? expected?.baud ?? 115_200;
    transport = await openSerialTransport(t.path, baud);
    timeoutMs = lineTimeoutMs(baud);
  } else if ('sim' in t) {
    // Loaded on demand: only simulator users need Verilator and its launcher.
    const { startSimulator } = await import('../../sim/launcher.js');
    const { sim: _sim, config, ...simOptions } = t;
    const simulator = await startSimulator({ ...simOptions, config: config ?? o.config });
    expected ??= simulator.config;
    stop = () => simulator.stop();
    try {
      transport = await openSerialTransport(simulator.path, expected.baud);
    } catch (e) {
      await simulator.stop();
      throw e;
    }
    timeoutMs = 500; // simulation speed, not a line rate, bounds it; a spurious timeout only costs a replay
  } else {
    const config = parseCoreConfig(t.config ?? o.config ?? {});
    expected ??= config;
    const faults = { drop: t.drop ?? 0, flip: t.flip ?? 0 };
    const model = openModelTransport({ config, toBoard: faults, toHost: faults, seed: t.seed ?? 1 });
    engine = model.engine;
    transport = model;
    timeoutMs = 100; // virtual time: costs nothing
  }
  const link = new LinkClient(transport, {
    timeoutMs: o.timeoutMs ?? timeoutMs,
    maxAttempts: o.maxAttempts ?? 10,
    ...(o.inFlight !== undefined && { inFlight: o.inFlight }),
    ...(o.firstSeq !== undefined && { firstSeq: o.firstSeq }),
    ...(o.onComplete && { onComplete: o.onComplete }),
  });
  const device = new WindowsDevice(link, {
    ...(o.onEvict && { onEvict: o.onEvict }),
    ...(stop && { stop }),
    ...(engine && { engine }),
  });
  try {
    const synced = decodeResponse('sync', await link.sync());
    if (synced.status !== 'ok') throw new LinkProtocolError(`SYNC was refused (${synced.status})`);
    checkInfo(await device.info(), expected);
  } catch (e) {
    await device.close();
    throw e;
  }
  return device;
}

/** Compares INFO with the expected config; without one, only the protocol must match. */
export function checkInfo(info: InfoPayload, expected: CoreConfig | undefined): void {
  const want: Partial<InfoPayload> = expected
    ? (new CoreModel(expected).call('info', {}) as { value: InfoPayload }).value
    : { protocolVersion: PROTOCOL_VERSION, maxPage: MAX_PAGE };
  const mismatched: MismatchedField[] = [];
  for (const [field, value] of Object.entries(want) as [keyof InfoPayload, unknown][]) {
    if (JSON.stringify(value) !== JSON.stringify(info[field])) mismatched.push({ field, expected: value, actual: info[field] });
  }
  if (mismatched.length > 0) throw new DeviceMismatchError(mismatched);
}

