/** The file backend: layout byte by byte, modes, corruption recovery, the lock, two writer processes. */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crc32 } from '../host/storage/crc32.js';
import { FileAccountStore } from '../host/storage/fileStore.js';
import { HEADER, MAGIC } from '../host/storage/recordLog.js';
import type { Message } from '../host/tiers/index.js';
import { DEFAULT_SHAPE, prepareMessage } from '../host/tiers/index.js';
import { disposeWriter, prepareWriter, startWriter } from './support/tiersChild.js';
import { range, seqs, tempDir } from './support/tiers.js';

const LIMITS = { maxContentBytes: 65536, maxMetadataBytes: 16384 };
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const dirOf = (account: string) => join(tmp.dir, `account_${account}`);
const msg = (i: number) => prepareMessage({ role: i % 2 ? 'assistant' : 'user', content: `message ${i}`, metadata: { i } }, LIMITS);

async function filled(account: string, n: number, opts = {}): Promise<FileAccountStore> {
  const s = new FileAccountStore(account, DEFAULT_SHAPE, { root: tmp.dir, ...opts });
  await s.open();
  for (let i = 0; i < n; i += 100) await s.append(range(i, Math.min(n, i + 100) - 1).map(msg));
  return s;
}

async function reopen(account: string) {
  const s = new FileAccountStore(account, DEFAULT_SHAPE, { root: tmp.dir });
  const report = await s.open();
  return { s, report };
}

async function everything(s: FileAccountStore): Promise<Message[]> {
  return s.history({ afterSeq: 0, limit: 1_000_000 });
}

/** Offsets of every record in a log, parsed independently of the implementation. */
function parseLog(bytes: Buffer): { off: number; len: number; seq: number; json: unknown }[] {
  const out = [];
  let p = 0;
  while (p < bytes.length) {
    expect(bytes.subarray(p, p + 4).toString('latin1')).toBe('JNL1');
    const len = bytes.readUInt32LE(p + 4);
    const seq = bytes.readUInt32LE(p + 8) + bytes.readUInt32LE(p + 12) * 2 ** 32;
    const payload = bytes.subarray(p + 24, p + 24 + len);
    expect(bytes.readUInt32LE(p + 16)).toBe(crc32(payload));
    expect(bytes.readUInt32LE(p + 20)).toBe(crc32(bytes.subarray(p, p + 20)));
    out.push({ off: p, len, seq, json: JSON.parse(payload.toString('utf8')) });
    p += 24 + len;
  }
  return out;
}

describe('layout', () => {
  it('memory/account_{id}/ holds the log and the JSON files, modes 0700/0600', async () => {
    const s = await filled('alice', 260);
    await s.close();
    const dir = dirOf('alice');
    expect(readdirSync(dir).sort()).toEqual(['history.log', 'history_context.json', 'mid_term.json', 'short_term.json', 'status.json']);
    expect(statSync(tmp.dir).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);

    const short = JSON.parse(readFileSync(join(dir, 'short_term.json'), 'utf8'));
    expect(short).toMatchObject({ format: 'janela.short_term/1', account: 'alice', capacity: 50, through_seq: 260 });
    expect(seqs(short.messages)).toEqual(range(211, 260));
    const mid = JSON.parse(readFileSync(join(dir, 'mid_term.json'), 'utf8'));
    expect(seqs(mid.messages)).toEqual(range(11, 210));
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
    expect(status).toMatchObject({ format: 'janela.status/1', message_count: 260, last_seq: 260 });
    expect(Object.keys(status.components).sort()).toEqual(['history', 'history_context', 'mid_term', 'short_term', 'storage']);
    for (const c of Object.values(status.components) as { status: string }[]) expect(c.status).toBe('active');
    expect(JSON.parse(readFileSync(join(dir, 'history_context.json'), 'utf8'))).toMatchObject({ format: 'janela.history_context/1', version: 0, coveredThrough: 0, summaries: [] });
  });

  it('history.log: 24-byte header (magic, length, seq, payload CRC-32, header CRC-32) + JSON payload per message', async () => {
    const s = await filled('alice', 3);
    await s.close();
    const bytes = readFileSync(join(dirOf('alice'), 'history.log'));
    expect(MAGIC.toString('latin1')).toBe('JNL1');
    expect(HEADER).toBe(24);
    const recs = parseLog(bytes);
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(recs[0]!.off).toBe(0);
    expect(recs[0]!.json).toMatchObject({ seq: 1, role: 'user', content: 'message 0', metadata: { i: 0 } });
    expect(Object.keys(recs[0]!.json as object)).toEqual(['seq', 'id', 'role', 'content', 'timestamp', 'metadata', 'hash']);
    expect(recs.reduce((n, r) => n + 24 + r.len, 0)).toBe(bytes.length);
  });

  it('appends only: earlier bytes of the log never change', async () => {
    const s = await filled('alice', 10);
    const before = readFileSync(join(dirOf('alice'), 'history.log'));
    await s.append([msg(100)]);
    await s.close();
    const after = readFileSync(join(dirOf('alice'), 'history.log'));
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    expect(after.length).toBeGreaterThan(before.length);
  });
});

describe('corruption recovery', () => {
  it('a torn tail is cut off, reported, and the tiers rebuilt', async () => {
    await (await filled('alice', 60)).close();
    const log = join(dirOf('alice'), 'history.log');
    const recs = parseLog(readFileSync(log));
    truncateSync(log, recs[59]!.off + 30); // half of the last record
    const { s, report } = await reopen('alice');
    expect(report.repairs.map((r) => r.kind)).toContain('torn-tail');
    expect(report.messageCount).toBe(59);
    expect(seqs(await s.shortTerm())).toEqual(range(10, 59));
    expect(seqs(await s.midTerm())).toEqual(range(1, 9));
    expect(statSync(log).size).toBe(recs[59]!.off);
    const health = await s.health();
    expect(health.find((h) => h.component === 'history')!.issues.join()).toMatch(/torn tail/);
    await s.append([msg(1000)]);
    expect((await s.shortTerm()).at(-1)!.seq).toBe(60);
    await s.close();
  });

  it('a garbled record in the middle is dropped (others kept), the original quarantined', async () => {
    await (await filled('alice', 30)).close();
    const log = join(dirOf('alice'), 'history.log');
    const bytes = readFileSync(log);
    const recs = parseLog(bytes);
    bytes[recs[10]!.off + 24 + 5]! ^= 0xff; // a payload byte of seq 11
    writeFileSync(log, bytes);
    const { s, report } = await reopen('alice');
    const g = report.repairs.find((r) => r.kind === 'garbled-records')!;
    expect(g.detail).toMatch(/1 bad record/);
    expect(g.lost).toBe(1);
    expect(seqs(await everything(s))).toEqual([...range(1, 10), ...range(12, 30)]);
    expect(readdirSync(dirOf('alice')).some((f) => f.startsWith('history.log.corrupt-'))).toBe(true);
    await s.close();
    // Reopening again finds a clean log.
    const again = await reopen('alice');
    expect(again.report.repairs).toEqual([]);
    await again.s.close();
  });

  it('garbage bytes between records (a garbled header) are skipped by resynchronising', async () => {
    await (await filled('alice', 20)).close();
    const log = join(dirOf('alice'), 'history.log');
    const bytes = readFileSync(log);
    const recs = parseLog(bytes);
    bytes.fill(0x41, recs[5]!.off, recs[5]!.off + 10); // clobber the header of seq 6
    writeFileSync(log, bytes);
    const { s, report } = await reopen('alice');
    expect(report.repairs.map((r) => r.kind)).toContain('garbled-records');
    expect(seqs(await everything(s))).toEqual([...range(1, 5), ...range(7, 20)]);
    await s.close();
  });

  it('garbled tier snapshots are rebuilt from the whole history', async () => {
    await (await filled('alice', 80)).close();
    writeFileSync(join(dirOf('alice'), 'short_term.json'), '{"format": "janela.short_');
    writeFileSync(join(dirOf('alice'), 'mid_term.json'), 'null');
    const { s, report } = await reopen('alice');
    expect(report.repairs.map((r) => r.kind)).toContain('rebuilt-tiers');
    expect(seqs(await s.shortTerm())).toEqual(range(31, 80));
    await s.close();
    expect(seqs(JSON.parse(readFileSync(join(dirOf('alice'), 'short_term.json'), 'utf8')).messages)).toEqual(range(31, 80));
  });

  it('a garbled history context is re-initialised and reported', async () => {
    await (await filled('alice', 5)).close();
    writeFileSync(join(dirOf('alice'), 'history_context.json'), '{{{{');
    const { s, report } = await reopen('alice');
    expect(report.repairs).toContainEqual(expect.objectContaining({ component: 'history_context', kind: 'reinitialised' }));
    expect((await s.getContext()).summaries).toEqual([]);
    await s.close();
  });

  it('a log with nothing readable: messages salvaged from the snapshots, re-initialisation reported', async () => {
    await (await filled('alice', 300)).close();
    const log = join(dirOf('alice'), 'history.log');
    writeFileSync(log, Buffer.alloc(statSync(log).size, 0x5a));
    const { s, report } = await reopen('alice');
    const kinds = report.repairs.map((r) => r.kind);
    expect(kinds).toContain('reinitialised');
    expect(kinds).toContain('salvaged');
    expect(report.repairs.find((r) => r.kind === 'reinitialised')!.lost).toBe(50);
    expect(seqs(await everything(s))).toEqual(range(51, 300));
    await s.close();
  });

  it('nothing left at all: re-initialised empty and said so', async () => {
    await (await filled('alice', 10)).close();
    const dir = dirOf('alice');
    for (const f of ['history.log', 'short_term.json', 'mid_term.json']) writeFileSync(join(dir, f), 'garbage');
    const { s, report } = await reopen('alice');
    expect(report.repairs.find((r) => r.kind === 'reinitialised')).toMatchObject({ component: 'history', lost: 10 });
    expect(report.messageCount).toBe(0);
    await s.append([msg(1)]);
    expect((await s.counts()).messageCount).toBe(1);
    await s.close();
  });

  it('a lock left by a dead process is broken and reported; a live one is waited for', async () => {
    await (await filled('alice', 1)).close();
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    writeFileSync(join(dirOf('alice'), 'lock'), JSON.stringify({ pid, host: (await import('node:os')).hostname(), token: 'deadbeef', at: Date.now() }));
    const { s: s2, report } = await reopen('alice');
    expect(report.repairs.map((r) => r.kind)).toContain('stale-lock');
    expect(existsSync(join(dirOf('alice'), 'lock'))).toBe(false);
    await s2.close();
    // A lock held by a live process (this one, another token) times out.
    writeFileSync(join(dirOf('alice'), 'lock'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), token: 'live', at: Date.now() }));
    const s3 = new FileAccountStore('alice', DEFAULT_SHAPE, { root: tmp.dir, lockTimeoutMs: 100 });
    await expect(s3.open()).rejects.toMatchObject({ name: 'LockTimeoutError' });
  });

  it('read-only opens report damage without repairing it', async () => {
    await (await filled('alice', 5)).close();
    const log = join(dirOf('alice'), 'history.log');
    appendFileSync(log, Buffer.from('JNL1partial'));
    const size = statSync(log).size;
    const ro = new FileAccountStore('alice', DEFAULT_SHAPE, { root: tmp.dir, readOnly: true });
    const report = await ro.open();
    expect(report.repairs.map((r) => r.kind)).toContain('torn-tail');
    expect(report.messageCount).toBe(5);
    await expect(ro.append([msg(9)])).rejects.toThrow(/read-only/);
    await ro.close();
    expect(statSync(log).size).toBe(size);
  });
});

describe('two stores on one account in one process', () => {
  it('each sees the other’s appends, and a later snapshot never rolls back a newer one', async () => {
    const a = await filled('shared', 10);
    const b = new FileAccountStore('shared', DEFAULT_SHAPE, { root: tmp.dir });
    await b.open();
    await b.append([msg(100), msg(101)]);
    expect(seqs(await a.shortTerm())).toEqual(range(1, 12));
    await a.append([msg(102)]);
    await b.append([msg(103)]);
    await b.close();
    await a.close(); // a's snapshot comes last: it must include b's seq 14
    const short = JSON.parse(readFileSync(join(dirOf('shared'), 'short_term.json'), 'utf8'));
    expect(seqs(short.messages)).toEqual(range(1, 14));
    expect(short.messages.map((m: Message) => m.content).slice(-4)).toEqual(['message 100', 'message 101', 'message 102', 'message 103']);
  });
});

describe('two writer processes on one account', () => {
  beforeAll(async () => prepareWriter());
  afterAll(() => disposeWriter());

  it('both complete; every message once, seqs unique and increasing, each writer’s order kept', async () => {
    const N = 300;
    const w1 = startWriter(tmp.dir, 'shared', 'p1', N, 3);
    const w2 = startWriter(tmp.dir, 'shared', 'p2', N, 3);
    const [e1, e2] = await Promise.all([w1.exited, w2.exited]);
    expect([e1.code, e2.code], w1.stderr() + w2.stderr()).toEqual([0, 0]);
    expect(w1.acked).toHaveLength(N);
    expect(w2.acked).toHaveLength(N);
    const { s, report } = await reopen('shared');
    expect(report.repairs).toEqual([]);
    const all = await everything(s);
    expect(seqs(all)).toEqual(range(1, 2 * N));
    expect(new Set(all.map((m) => m.id)).size).toBe(2 * N);
    for (const tag of ['p1', 'p2']) {
      const mine = all.filter((m) => m.id.startsWith(`${tag}-`)).map((m) => Number(m.id.split('-')[1]));
      expect(mine.sort((a, b) => a - b)).toEqual(range(0, N - 1));
    }
    expect(seqs(await s.shortTerm())).toEqual(range(2 * N - 49, 2 * N));
    await s.close();
  }, 60_000);
});
