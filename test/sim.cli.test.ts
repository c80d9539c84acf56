/**
 * Acceptance: `janela sim` serves the board on a pty, and a client written from
 * docs/protocol.md alone (test/support/linkProtocolClient.ts) talks to it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OP_SYNC, ProtocolClient, STATUS_BAD_SEQUENCE, frame } from './support/linkProtocolClient.js';

const RUNNER = fileURLToPath(new URL('./support/linkSimCli.ts', import.meta.url));
/** Not an opcode of protocol version 1: docs say it is executed and fails, using up its SEQ. */
const UNKNOWN_OP = 0xee;

let child: ChildProcessWithoutNullStreams;
let stdout = '';
let path: string;
let client: ProtocolClient;
let exit: Promise<number | null>;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', RUNNER, '--bit-cycles', '4'], { stdio: 'pipe' });
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

  it('prints exactly one line on stdout and exits 0 on SIGINT', async () => {
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stdout).toBe(`PTY ${path}\n`);
  });
});
