/**
 * Acceptance: `janela sim` serves the board on a pty, and a client written from
 * docs/protocol.md alone (test/support/linkProtocolClient*.ts) talks to it: link rules,
 * and real operations whose answers it decodes at the offsets the doc gives.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WEIGHTS, MAX_PAGE, NEUTRAL_SALIENCE, PROTOCOL_VERSION, buildId, compositeSalience, parseCoreConfig } from '../spec/index.js';
import { OP_SYNC, ProtocolClient, STATUS_BAD_SEQUENCE, frame } from './support/linkProtocolClient.js';
import { DocSession, STATUS, StatusError, type Info, type Salience } from './support/linkProtocolClientOps.js';

const JANELA = fileURLToPath(new URL('../host/cli/janela.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Not an opcode of protocol version 1: docs say it is executed and fails, using up its SEQ. */
const UNKNOWN_OP = 0xee;

let child: ChildProcessWithoutNullStreams;
let stdout = '';
let path: string;
let client: ProtocolClient;
let exit: Promise<number | null>;

beforeAll(async () => {
  child = spawn(process.execPath, [JANELA, 'sim', '--bit-cycles', '4'], { stdio: 'pipe', cwd: ROOT });
  exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  path = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^PTY (\S+)\n/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    void exit.then((code) => reject(new Error(`janela sim exited ${code}: ${stderr}`)));
  });
  client = await ProtocolClient.open(path);
});

afterAll(async () => {
  await client?.close();
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('janela sim with a client built from docs/protocol.md', () => {
  it('answers SYNC with protocol version 1 and the SEQ it was sent', async () => {
    client.send(frame(250, OP_SYNC));
    const [a] = await client.receive(1);
    expect(a).toMatchObject({ seq: 250, status: 0 });
    expect(a!.payload[0]).toBe(1);
  });

  it('runs an unknown op once as a failed request, and replays its stored answer', async () => {
    client.send(frame(251, UNKNOWN_OP));
    client.send(frame(251, UNKNOWN_OP));
    const [first, again] = await client.receive(2);
    expect(first!.seq).toBe(251);
    expect(first!.status).not.toBe(0);
    expect(again!.raw).toEqual(first!.raw);
  });

  it('answers a SEQ it can neither run nor replay with BadSequence carrying expected', async () => {
    client.send(frame(10, UNKNOWN_OP));
    const [a] = await client.receive(1);
    expect(a).toMatchObject({ seq: 10, status: STATUS_BAD_SEQUENCE, payload: [252] });
  });

  it('takes four pipelined requests and counts across the SEQ wrap', async () => {
    for (const seq of [252, 253, 254, 255]) client.send(frame(seq, UNKNOWN_OP));
    const answers = await client.receive(4);
    client.send(frame(0, UNKNOWN_OP));
    answers.push(...(await client.receive(1)));
    expect(answers.map((a) => a.seq)).toEqual([252, 253, 254, 255, 0]);
    expect(answers.every((a) => a.status !== 0 && a.status !== STATUS_BAD_SEQUENCE)).toBe(true);
  });

});

/** What a refused request is answered with, as a StatusError. */
async function refusal(p: Promise<unknown>): Promise<StatusError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StatusError);
  return err as StatusError;
}

describe('operations over janela sim, decoded at the offsets of docs/protocol.md', () => {
  // `janela sim` was started with the default config.
  const config = parseCoreConfig({});
  const RICH: Salience = [255, 200, 128, -64, 255];
  const FAINT: Salience = [0, 0, 0, 0, 1];
  let s: DocSession;
  let info: Info;

  it('SYNC answers INFO, whose fields are the config the board was built from', async () => {
    ({ session: s, info } = await DocSession.start(client, 30));
    expect(info).toEqual({
      protocolVersion: PROTOCOL_VERSION,
      maxWindows: config.maxWindows,
      minWindows: config.minWindows,
      capacity: config.capacity,
      quota: config.quota,
      maxPage: MAX_PAGE,
      weights: [...DEFAULT_WEIGHTS],
      buildId: buildId(config),
    });
  });

  it('OPEN, STORE with and without salience, RECALL pages, CLOSE', async () => {
    const before = await s.list();
    expect(before.count).toBe(info.minWindows);
    const opened = await s.open();
    expect(opened.salience).toBe(compositeSalience(NEUTRAL_SALIENCE, DEFAULT_WEIGHTS));
    expect(before.records.map((r) => r.window)).not.toContain(opened.window);
    expect((await s.list()).records).toContainEqual({ window: opened.window, salience: opened.salience, items: 0 });

    // Without a salience an item takes the window's; with one, it is scored from it.
    const plain = await s.store(opened.window, 0x0123_4567_89ab_cdefn);
    const rich = await s.store(opened.window, 0xfeedn, RICH);
    const faint = await s.store(opened.window, 0xfffe_0000_0000_0001n, FAINT);
    expect(plain.salience).toBe(opened.salience);
    expect(rich.salience).toBe(compositeSalience(RICH, DEFAULT_WEIGHTS));
    expect(faint.salience).toBe(compositeSalience(FAINT, DEFAULT_WEIGHTS));
    expect([plain, rich, faint].map((r) => r.evicted)).toEqual([0, 0, 0]);
    expect(rich.stamp).toBe(plain.stamp + 1);
    expect(faint.stamp).toBe(rich.stamp + 1);
    const item = (handle: bigint, r: { salience: number; stamp: number }) => ({ window: opened.window, handle, salience: r.salience, stamp: r.stamp });
    const items = [item(0x0123_4567_89ab_cdefn, plain), item(0xfeedn, rich), item(0xfffe_0000_0000_0001n, faint)];

    // In insertion order, all at once.
    expect(await s.recall({ window: opened.window, limit: MAX_PAGE, order: 0 })).toEqual({ count: 3, more: 0, records: items });
    // Most salient first, two per page; the next page starts after the last record's key.
    const bySalience = [...items].sort((a, b) => b.salience - a.salience || a.stamp - b.stamp);
    const page1 = await s.recall({ window: opened.window, limit: 2, order: 1 });
    expect(page1).toEqual({ count: 2, more: 1, records: bySalience.slice(0, 2) });
    const last = page1.records[1]!;
    const page2 = await s.recall({ window: opened.window, limit: 2, order: 1, cursor: { salience: last.salience, stamp: last.stamp } });
    expect(page2).toEqual({ count: 1, more: 0, records: bySalience.slice(2) });

    expect(await s.close(opened.window)).toEqual({ freed: 3 });
    expect(await s.count()).toEqual({ open: info.minWindows, items: 0 });
  });

  it('refuses a CLOSE below minWindows with min, changing nothing, and the next SEQ still runs', async () => {
    const open = await s.list();
    expect(open.count).toBe(info.minWindows);
    const refused = await refusal(s.close(open.records[0]!.window));
    expect(refused).toMatchObject({ status: STATUS.boundedMemoryInsufficient, fields: { min: info.minWindows } });
    expect(await s.list()).toEqual(open);
  });

  it('answers other refusals with the statuses and payloads of the doc', async () => {
    const opened = await s.open();
    await s.close(opened.window);
    expect(await refusal(s.close(opened.window))).toMatchObject({ status: STATUS.windowAlreadyClosed, payload: [] });
    expect(await refusal(s.store(opened.window, 1n))).toMatchObject({ status: STATUS.windowAlreadyClosed });
    expect(await refusal(s.open([128, 128, 128, 0, 0]))).toMatchObject({ status: STATUS.invalidSalience, fields: { reason: 1 } });
    expect(await refusal(s.recall({ window: 0xffff, limit: 0, order: 0 }))).toMatchObject({ status: STATUS.badRequest, fields: { reason: 3 } });
    expect(await s.count()).toEqual({ open: info.minWindows, items: 0 });
  });
});

describe('janela sim process', () => {
  it('prints exactly one line on stdout and exits 0 on SIGINT', async () => {
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stdout).toBe(`PTY ${path}\n`);
  });
});
