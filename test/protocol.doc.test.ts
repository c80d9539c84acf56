/** docs/protocol.md's Operations part must be what spec + codec generate, so it cannot drift. */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { frameCrc } from '../host/protocol/crc.js';
import { FrameParser } from '../host/protocol/frame.js';
import { decodeRequest, decodeResponse, opName } from '../host/protocol/messages.js';
import { CRC, OPS, OP_NAMES, STATUS } from '../spec/index.js';
import { BEGIN, DOC_PATH, END, renderOperations, updateDoc } from '../scripts/protocol-doc.js';

const doc = readFileSync(DOC_PATH, 'utf8');

describe('docs/protocol.md', () => {
  it('holds exactly the generated Operations part (run: npx tsx scripts/protocol-doc.ts)', () => {
    const begin = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(begin, 'generated block present').toBeGreaterThan(doc.indexOf('## Operations'));
    expect(doc.slice(begin, end + END.length)).toBe(renderOperations());
    expect(updateDoc(doc)).toBe(doc);
  });

  it('keeps the link rules written by hand', () => {
    expect(doc).toMatch(/## Receiver rules \(board side\)/);
    expect(doc).toMatch(/## Sequence numbers, exactly-once and pipelining/);
  });

  it('documents every op with its opcode and every status code', () => {
    for (const n of OP_NAMES) expect(doc).toContain(`opcode 0x${OPS[n].code.toString(16).padStart(2, '0').toUpperCase()}`);
    for (const s of Object.values(STATUS)) expect(doc).toMatch(new RegExp(`^\\| ${s.code.toString(16).padStart(2, '0')} \\|`, 'm'));
  });

  it('shows examples that are valid frames the codec decodes', () => {
    const lines = doc.split('\n').filter((l) => /^[→←] [0-9A-F]{2}( [0-9A-F]{2})*$/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(10);
    let lastOp = OP_NAMES[0]!;
    for (const line of lines) {
      const bytes = Uint8Array.from(line.slice(2).split(' ').map((h) => parseInt(h, 16)));
      const request = line.startsWith('→');
      const frames = new FrameParser(request ? 'request' : 'response').push(bytes);
      expect(frames, line).toHaveLength(1);
      const f = frames[0]!;
      if (request) {
        lastOp = opName(f.code);
        expect(() => decodeRequest(lastOp, f.payload), line).not.toThrow();
      } else {
        expect(() => decodeResponse(lastOp, Uint8Array.of(f.code, ...f.payload)), line).not.toThrow();
      }
    }
  });
});

const hex32 = (n: number) => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
const hasCc = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;

describe('docs/protocol.md, frame CRC (written by hand)', () => {
  it('names the CRC with every parameter of the spec and its check value', () => {
    const section = doc.slice(doc.indexOf('### CRC'), doc.indexOf('## Receiver rules'));
    expect(section).toContain(CRC.name);
    for (const v of [CRC.poly, CRC.polyReflected, CRC.init, CRC.xorout, CRC.check]) expect(section).toContain(hex32(v));
    expect(section).toContain(`| width | ${CRC.width} bits |`);
    expect(doc).toMatch(/request : A5 {2}LEN {2}SEQ {2}OP {6}PAYLOAD\[LEN\] {2}CRC_0 CRC_1 CRC_2 CRC_3/);
  });

  it('gives a frame example whose CRC is right', () => {
    const m = /whose CRC is (0x[0-9A-F]{8}), so the\s+frame is `([0-9A-F ]+)`/.exec(doc);
    expect(m, 'example present').not.toBeNull();
    const bytes = Uint8Array.from(m![2]!.split(' ').map((h) => parseInt(h, 16)));
    expect(hex32(frameCrc(bytes.subarray(1, -4)))).toBe(m![1]);
    expect(new FrameParser('request').push(bytes)).toHaveLength(1);
  });

  it.skipIf(!hasCc)('has a C reference implementation that computes the check value and the host’s CRC', async () => {
    const source = /```c\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(source, 'C block present').toBeDefined();
    const samples = ['123456789', 'janela', '\x00\x40\x00', ''].map((t) => new TextEncoder().encode(t));
    samples.push(Uint8Array.from({ length: 245 }, (_, i) => (i * 151 + 7) & 0xff));
    const main = `
#include <stdio.h>
int main(int argc, char **argv) {
    static uint8_t buf[512];
    crc32c_init();
    for (int a = 1; a < argc; a++) {
        size_t n = 0;
        for (const char *p = argv[a]; p[0] && p[1]; p += 2) { unsigned v; sscanf(p, "%2x", &v); buf[n++] = (uint8_t)v; }
        printf("%08X\\n", crc32c(buf, n));
    }
    return 0;
}
`;
    const dir = await mkdtemp(join(tmpdir(), 'janela-doc-crc-'));
    try {
      await writeFile(join(dir, 'crc.c'), source! + main);
      await promisify(execFile)('cc', ['-std=c99', '-Wall', '-Werror', '-o', join(dir, 'crc'), join(dir, 'crc.c')]);
      const args = samples.map((b) => Buffer.from(b).toString('hex') || '-');
      const { stdout } = await promisify(execFile)(join(dir, 'crc'), args);
      const got = stdout.trim().split('\n');
      expect(got[0]).toBe(hex32(CRC.check).slice(2));
      expect(got).toEqual(samples.map((b) => hex32(frameCrc(b)).slice(2)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
