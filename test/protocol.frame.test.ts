/** Frame encoding and the streaming parser: chunking, resync over garbage, receiver rules. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameCrc } from '../host/protocol/crc.js';
import { FrameParser, encodeFrame, type Frame, type FrameKind } from '../host/protocol/frame.js';
import { FRAME_HEADER_BYTES, FRAME_TRAILER_BYTES, MAX_REQUEST_PAYLOAD, MAX_RESPONSE_PAYLOAD } from '../spec/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function frameArb(kind: FrameKind): fc.Arbitrary<Frame> {
  const max = kind === 'request' ? MAX_REQUEST_PAYLOAD : MAX_RESPONSE_PAYLOAD;
  return fc.record({
    seq: fc.integer({ min: 0, max: 255 }),
    code: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: max }),
  });
}

/** Splits bytes at the given cut points. */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  return out;
}

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

describe('encodeFrame', () => {
  it('writes sync, LEN, SEQ, OP, payload and the 4-byte CRC over LEN..payload, low byte first', () => {
    const bytes = encodeFrame('request', { seq: 7, code: 0x11, payload: Uint8Array.of(0x13, 0x00) });
    const crc = frameCrc(Uint8Array.of(0x02, 0x07, 0x11, 0x13, 0x00));
    expect(FRAME_TRAILER_BYTES).toBe(4);
    expect(hex(bytes)).toBe('a5020711' + '1300' + hex(Uint8Array.of(crc, crc >>> 8, crc >>> 16, crc >>> 24)));
    expect(encodeFrame('response', { seq: 7, code: 0, payload: new Uint8Array() })[0]).toBe(0x5a);
  });

  it('sizes every frame as header + payload + CRC', () => {
    fc.assert(
      fc.property(frameArb('response'), (f) => {
        expect(encodeFrame('response', f)).toHaveLength(FRAME_HEADER_BYTES + f.payload.length + FRAME_TRAILER_BYTES);
      }),
    );
  });

  it('refuses payloads above the direction’s bound', () => {
    expect(() => encodeFrame('request', { seq: 0, code: 0, payload: new Uint8Array(16) })).toThrow(RangeError);
    expect(() => encodeFrame('response', { seq: 0, code: 0, payload: new Uint8Array(243) })).toThrow(RangeError);
  });
});

describe('FrameParser', () => {
  it.each(['request', 'response'] as const)('recovers %s frames from any chunking', (kind) => {
    fc.assert(
      fc.property(fc.array(frameArb(kind), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (frames, cuts) => {
        const parser = new FrameParser(kind);
        const got = chunk(concat(frames.map((f) => encodeFrame(kind, f))), cuts).flatMap((c) => parser.push(c));
        expect(got).toEqual(frames);
        expect(parser.inFrame).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('resynchronises over random garbage between frames (host side, with rescan)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), frameArb('response')), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (pieces, cuts) => {
          const parser = new FrameParser('response');
          const stream = concat(pieces.flatMap(([garbage, f]) => [garbage, encodeFrame('response', f)]));
          const got = [...chunk(stream, cuts).flatMap((c) => parser.push(c)), ...parser.idle()];
          // Garbage may by chance contain a frame with a valid CRC; every real frame must still come, in order.
          const real = pieces.map(([, f]) => f);
          let i = 0;
          for (const f of got) if (i < real.length && hex(encodeFrame('response', f)) === hex(encodeFrame('response', real[i]!))) i++;
          expect(i).toBe(real.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds a frame hidden behind a stray sync byte whose LEN claims more than follows', () => {
    const good = encodeFrame('response', { seq: 1, code: 0, payload: Uint8Array.of(1, 2, 3) });
    const parser = new FrameParser('response');
    // 5A C8 claims 200 payload bytes; only the good frame follows, so it is found once the line idles.
    expect(parser.push(concat([Uint8Array.of(0x5a, 0xc8), good]))).toEqual([]);
    expect(parser.idle()).toEqual([{ seq: 1, code: 0, payload: Uint8Array.of(1, 2, 3) }]);
    expect(parser.stats.partial).toBe(1);
  });

  it('counts skipped bytes, bad lengths and CRC errors', () => {
    const parser = new FrameParser('request');
    const bad = encodeFrame('request', { seq: 1, code: 2, payload: Uint8Array.of(9) });
    bad[bad.length - 1]! ^= 0xff;
    parser.push(concat([Uint8Array.of(1, 2, 3), Uint8Array.of(0xa5, 16), bad]));
    expect(parser.stats).toMatchObject({ frames: 0, badLength: 1, badCrc: 1 });
    expect(parser.stats.skipped).toBeGreaterThanOrEqual(3);
  });

  it('checks every byte of the CRC', () => {
    const good = encodeFrame('request', { seq: 3, code: 0x12, payload: Uint8Array.of(1, 2, 3) });
    for (let k = 1; k <= FRAME_TRAILER_BYTES; k++) {
      const bad = good.slice();
      bad[bad.length - k]! ^= 0x80;
      const parser = new FrameParser('request', { rescan: false });
      expect(parser.push(bad), `CRC byte ${FRAME_TRAILER_BYTES - k}`).toEqual([]);
      expect(parser.stats.badCrc).toBe(1);
    }
  });

  describe('board receiver rules (no rescan)', () => {
    const good = (seq: number) => encodeFrame('request', { seq, code: 0x15, payload: new Uint8Array() });

    it('rule 2: LEN > 15 is a bad frame, hunting resumes with the byte after LEN', () => {
      const parser = new FrameParser('request', { rescan: false });
      expect(parser.push(concat([Uint8Array.of(0xa5, 0x10), good(1)]))).toEqual([{ seq: 1, code: 0x15, payload: new Uint8Array() }]);
      expect(parser.stats.badLength).toBe(1);
    });

    it('rule 3: a CRC mismatch drops the whole frame; hunting resumes after it', () => {
      const parser = new FrameParser('request', { rescan: false });
      const bad = good(1);
      bad[3]! ^= 0x01;
      expect(parser.push(concat([bad, good(2)])).map((f) => f.seq)).toEqual([2]);
      expect(parser.stats.badCrc).toBe(1);
    });

    it('rule 4: an idle line drops a partial frame, so a lost byte costs one frame, not two', () => {
      const truncated = good(1).subarray(0, 5);
      const without = new FrameParser('request', { rescan: false });
      // No idle between them: the partial frame swallows the start of the next; both are lost.
      expect([...without.push(truncated), ...without.push(good(2))]).toEqual([]);
      const withIdle = new FrameParser('request', { rescan: false });
      expect(withIdle.push(truncated)).toEqual([]);
      expect(withIdle.idle()).toEqual([]);
      expect(withIdle.push(good(2)).map((f) => f.seq)).toEqual([2]);
    });
  });
});
