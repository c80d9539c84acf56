/** docs/protocol.md's Operations part must be what spec + codec generate, so it cannot drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameParser } from '../host/protocol/frame.js';
import { decodeRequest, decodeResponse, opName } from '../host/protocol/messages.js';
import { OPS, OP_NAMES, STATUS } from '../spec/index.js';
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
