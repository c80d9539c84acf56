/**
 * The whole history on disk: an append-only log of checksummed records, one per message.
 *
 * Record layout (all integers little-endian):
 *
 *   offset  size  field
 *   0       4     magic "JNL1" (4A 4E 4C 31)
 *   4       4     payload length in bytes (u32)
 *   8       8     seq (u64)
 *   16      4     CRC-32 of the payload (u32)
 *   20      4     CRC-32 of bytes 0..19 of this header (u32)
 *   24      len   payload: the message as UTF-8 JSON (encodeMessage)
 *
 * The header's own checksum means a garbled length is never trusted. Appends are one
 * write() of every record of a group commit followed by fdatasync(); an append is
 * acknowledged only after that. At open the log is scanned and every checksum verified:
 * - a torn tail (a partial last record, from a crash mid-write) is cut off (ftruncate + fsync);
 * - garbled bytes in the middle are skipped by resynchronising on the next valid header,
 *   and the log is rewritten without them (temp file, fsync, rename, fsync dir) while the
 *   original is kept beside it as `history.log.corrupt-<time>`;
 * - records whose seq does not increase are dropped the same way.
 * An in-memory index (seq and offset of every record, 16 bytes each) serves reads by seq.
 */
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Message } from '../tiers/message.js';
import { decodeTrusted, encodeMessage } from '../tiers/message.js';
import { crc32 } from './crc32.js';
import { StorageError } from './errors.js';
import { FILE_MODE, fsyncDir, tempName } from './fsutil.js';

export const MAGIC = Buffer.from('JNL1', 'latin1');
export const HEADER = 24;
const CHUNK = 8 * 1024 * 1024;
const SYNC_READ_MAX = 256 * 1024;
/** Largest payload the reader accepts (a garbled header cannot make it allocate more). */
export const MAX_PAYLOAD = 64 * 1024 * 1024;

export function encodeRecord(m: Message): Buffer {
  const payload = Buffer.from(encodeMessage(m), 'utf8');
  const buf = Buffer.allocUnsafe(HEADER + payload.length);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(payload.length, 4);
  buf.writeUInt32LE(m.seq % 0x1_0000_0000, 8);
  buf.writeUInt32LE(Math.floor(m.seq / 0x1_0000_0000), 12);
  buf.writeUInt32LE(crc32(payload), 16);
  buf.writeUInt32LE(crc32(buf.subarray(0, 20)), 20);
  payload.copy(buf, HEADER);
  return buf;
}

interface Header {
  readonly len: number;
  readonly seq: number;
  readonly payloadCrc: number;
}

function parseHeader(b: Buffer, at: number): Header | undefined {
  if (b[at] !== 0x4a || b[at + 1] !== 0x4e || b[at + 2] !== 0x4c || b[at + 3] !== 0x31) return undefined;
  if (crc32(b.subarray(at, at + 20)) !== b.readUInt32LE(at + 20)) return undefined;
  const len = b.readUInt32LE(at + 4);
  if (len > MAX_PAYLOAD) return undefined;
  return { len, seq: b.readUInt32LE(at + 8) + b.readUInt32LE(at + 12) * 0x1_0000_0000, payloadCrc: b.readUInt32LE(at + 16) };
}

export interface ScanIssues {
  /** Byte ranges of garbage or bad records in the middle, with the records they held when known. */
  readonly garbled: { from: number; to: number; records: number }[];
  /** Where a torn or garbled tail starts, and its length. */
  torn?: { from: number; bytes: number };
  /** Seqs missing between good records (lost to garbling). */
  missingSeqs: number;
}

/** Sequential reader over a file region with a sliding window. */
class Window {
  #start = 0;
  #buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
  ) {}
  async at(pos: number, n: number): Promise<{ buf: Buffer; off: number } | undefined> {
    if (pos + n > this.size) return undefined;
    if (pos < this.#start || pos + n > this.#start + this.#buf.length) {
      const want = Math.min(Math.max(n, CHUNK), this.size - pos);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.fh.read(buf, 0, want, pos);
      if (bytesRead < n) return undefined;
      this.#buf = buf.subarray(0, bytesRead);
      this.#start = pos;
    }
    return { buf: this.#buf, off: pos - this.#start };
  }
}

export class RecordLog {
  #fh: FileHandle;
  #ino: number;
  #seqs = new Float64Array(1024);
  #offs = new Float64Array(1024);
  #n = 0;
  #end = 0;

  private constructor(
    readonly path: string,
    fh: FileHandle,
    ino: number,
  ) {
    this.#fh = fh;
    this.#ino = ino;
  }

  /** Records held. */
  get count(): number {
    return this.#n;
  }
  get lastSeq(): number {
    return this.#n === 0 ? 0 : this.#seqs[this.#n - 1]!;
  }
  get firstSeq(): number {
    return this.#n === 0 ? 0 : this.#seqs[0]!;
  }
  /** Byte offset just after the last good record. */
  get end(): number {
    return this.#end;
  }

  /**
   * Opens (creating when absent) and scans the log. With `repair`, the caller holds the
   * account lock and bad bytes are removed as described above; without it they are only reported.
   */
  static async open(path: string, options: { repair: boolean; create: boolean }): Promise<{ log: RecordLog; issues: ScanIssues; quarantined?: string }> {
    let fh: FileHandle;
    try {
      fh = await fsp.open(path, options.create ? 'a+' : 'r', FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || options.create) throw err;
      // Read-only open of an account without a log: an empty in-memory view.
      const empty = new RecordLog(path, await fsp.open('/dev/null', 'r'), -1);
      return { log: empty, issues: { garbled: [], missingSeqs: 0 } };
    }
    const st = await fh.stat();
    const log = new RecordLog(path, fh, st.ino);
    const issues = await log.#scan(0, st.size);
    let quarantined: string | undefined;
    if (options.repair) quarantined = await log.#repair(issues);
    return { log, issues, ...(quarantined ? { quarantined } : {}) };
  }

  #push(seq: number, off: number): void {
    if (this.#n === this.#seqs.length) {
      const s = new Float64Array(this.#seqs.length * 2);
      s.set(this.#seqs);
      this.#seqs = s;
      const o = new Float64Array(this.#offs.length * 2);
      o.set(this.#offs);
      this.#offs = o;
    }
    this.#seqs[this.#n] = seq;
    this.#offs[this.#n] = off;
    this.#n++;
  }

  /** Scans [from, size), appending good records to the index; `end` moves past the last good one. */
  async #scan(from: number, size: number): Promise<ScanIssues> {
    const issues: ScanIssues = { garbled: [], missingSeqs: 0 };
    const win = new Window(this.#fh, size);
    let p = from;
    let goodEnd = from;
    const resync = async (start: number): Promise<number | undefined> => {
      // The next offset ≥ start holding a valid header and payload.
      let q = start;
      while (q + HEADER <= size) {
        const n = Math.min(CHUNK, size - q);
        const w = await win.at(q, n);
        if (!w) return undefined;
        const idx = w.buf.subarray(w.off, w.off + n).indexOf(MAGIC);
        if (idx < 0) {
          if (q + n >= size) return undefined;
          q += n - 3; // overlap, so a magic across the chunk edge is found
          continue;
        }
        const cand = q + idx;
        const hw = await win.at(cand, HEADER);
        const h = hw && parseHeader(hw.buf, hw.off);
        if (h && cand + HEADER + h.len <= size) {
          const pw = await win.at(cand + HEADER, h.len);
          if (pw && crc32(pw.buf.subarray(pw.off, pw.off + h.len)) === h.payloadCrc) return cand;
        }
        q = cand + 1;
      }
      return undefined;
    };
    while (p < size) {
      const hw = await win.at(p, HEADER);
      if (!hw) {
        issues.torn = { from: p, bytes: size - p };
        break;
      }
      const h = parseHeader(hw.buf, hw.off);
      if (h && p + HEADER + h.len > size) {
        issues.torn = { from: p, bytes: size - p };
        break;
      }
      if (h) {
        const pw = await win.at(p + HEADER, h.len);
        const ok = pw !== undefined && crc32(pw.buf.subarray(pw.off, pw.off + h.len)) === h.payloadCrc;
        if (ok && h.seq > this.lastSeq) {
          if (this.#n > 0) issues.missingSeqs += h.seq - this.lastSeq - 1;
          this.#push(h.seq, p);
          p += HEADER + h.len;
          goodEnd = p;
          continue;
        }
        // Bad payload, or a seq that does not increase: drop this record (its length is trustworthy).
        const next = p + HEADER + h.len;
        const last = issues.garbled.at(-1);
        if (last && last.to === p) {
          last.to = next;
          last.records++;
        } else issues.garbled.push({ from: p, to: next, records: 1 });
        p = next;
        continue;
      }
      const q = await resync(p + 1);
      if (q === undefined) {
        issues.torn = { from: p, bytes: size - p };
        break;
      }
      const last = issues.garbled.at(-1);
      if (last && last.to === p) last.to = q;
      else issues.garbled.push({ from: p, to: q, records: 0 });
      p = q;
    }
    // Garbage that reaches the end of the file is a torn tail, not a hole.
    const lastG = issues.garbled.at(-1);
    if (lastG && lastG.to >= size && !issues.torn) {
      issues.garbled.pop();
      issues.torn = { from: lastG.from, bytes: size - lastG.from };
    }
    this.#end = goodEnd;
    return issues;
  }

  async #repair(issues: ScanIssues): Promise<string | undefined> {
    if (issues.garbled.length > 0) {
      // Rewrite without the bad ranges; keep the original for inspection.
      const tmp = tempName(this.path);
      const out = await fsp.open(tmp, 'wx', FILE_MODE);
      try {
        // Every byte before `end` is in a good record or a garbled range: copy the complement.
        let pos = 0;
        const segments: [number, number][] = [];
        for (const g of issues.garbled) {
          if (g.from > pos) segments.push([pos, Math.min(g.from, this.#end)]);
          pos = Math.max(pos, g.to);
        }
        if (pos < this.#end) segments.push([pos, this.#end]);
        for (const [a, b] of segments) {
          for (let at = a; at < b; at += CHUNK) {
            const n = Math.min(CHUNK, b - at);
            const buf = Buffer.allocUnsafe(n);
            const { bytesRead } = await this.#fh.read(buf, 0, n, at);
            if (bytesRead !== n) throw new StorageError(`${this.path}: short read during repair`);
            await out.write(buf, 0, n);
          }
        }
        await out.sync();
      } finally {
        await out.close();
      }
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const quarantine = join(dirname(this.path), `${basename(this.path)}.corrupt-${stamp}`);
      await fsp.link(this.path, quarantine);
      await fsp.rename(tmp, this.path);
      await fsyncDir(dirname(this.path));
      await this.#reopen();
      return quarantine;
    }
    if (issues.torn) {
      await this.#fh.truncate(this.#end);
      await this.#fh.sync();
    }
    return undefined;
  }

  async #reopen(): Promise<void> {
    await this.#fh.close();
    this.#fh = await fsp.open(this.path, 'a+', FILE_MODE);
    const st = await this.#fh.stat();
    this.#ino = st.ino;
    this.#n = 0;
    this.#end = 0;
    const again = await this.#scan(0, st.size);
    if (again.garbled.length > 0 || again.torn) throw new StorageError(`${this.path}: still corrupt after repair`);
  }

  /**
   * Reads records other processes appended since the last look. Returns them, or 'reset'
   * when the file was replaced or shortened (then the caller reopens). With `repair` (the
   * caller holds the lock) a torn tail is cut off; without it, scanning stops at the first
   * incomplete record (a write in progress).
   */
  async catchUp(repair: boolean): Promise<{ records: Message[]; issues?: ScanIssues } | 'reset'> {
    if (this.#ino === -1) return { records: [] };
    // A synchronous stat: the common "nothing new" answer costs one system call, no thread-pool hop.
    const st = fs.statSync(this.path, { throwIfNoEntry: false });
    if (!st) return 'reset';
    if (st.ino !== this.#ino || st.size < this.#end) return 'reset';
    if (st.size === this.#end) return { records: [] };
    const before = this.#n;
    const from = this.#end;
    const issues = await this.#scan(from, st.size);
    const bad = issues.garbled.length > 0 || issues.torn !== undefined;
    if (bad && repair) {
      if (issues.garbled.length > 0) {
        // Garbage in what others wrote: rescan everything through the repairing open path.
        return 'reset';
      }
      await this.#repair(issues);
    }
    const records = await this.readIndex(before, this.#n);
    return { records, ...(bad ? { issues } : {}) };
  }

  /** Appends records (seqs increasing past lastSeq) in one write, then fdatasync. */
  async append(records: readonly Message[]): Promise<void> {
    if (records.length === 0) return;
    const bufs = records.map(encodeRecord);
    const all = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
    const start = this.#end;
    try {
      // The write lands in the page cache (synchronous: microseconds); the fdatasync is what waits.
      let done = 0;
      while (done < all.length) done += fs.writeSync(this.#fh.fd, all, done, all.length - done);
      await this.#fh.datasync();
    } catch (err) {
      // Leave no partial record behind for the next writer.
      await this.#fh.truncate(start).catch(() => {});
      throw new StorageError(`append to ${this.path} failed: ${(err as Error).message}`, { cause: err });
    }
    let off = start;
    for (let i = 0; i < records.length; i++) {
      this.#push(records[i]!.seq, off);
      off += bufs[i]!.length;
    }
    this.#end = off;
  }

  /** Index of the first record with seq > `seq`. */
  indexAfter(seq: number): number {
    let lo = 0;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#seqs[mid]! <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Records [from, to) of the index, oldest first, checksums verified. */
  async readIndex(from: number, to: number): Promise<Message[]> {
    from = Math.max(0, from);
    to = Math.min(this.#n, to);
    if (to <= from) return [];
    const start = this.#offs[from]!;
    const stop = to < this.#n ? this.#offs[to]! : this.#end;
    const buf = Buffer.allocUnsafe(stop - start);
    let got = 0;
    while (got < buf.length) {
      // Small pages (the usual case) are read synchronously from the page cache; large ones off-thread.
      const bytesRead =
        buf.length <= SYNC_READ_MAX
          ? fs.readSync(this.#fh.fd, buf, got, buf.length - got, start + got)
          : (await this.#fh.read(buf, got, buf.length - got, start + got)).bytesRead;
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    // Verify every record, then parse all payloads as one JSON array (one parser call).
    const parts: string[] = [];
    let p = 0;
    for (let i = from; i < to; i++) {
      const h = p + HEADER <= got ? parseHeader(buf, p) : undefined;
      if (!h || p + HEADER + h.len > got || crc32(buf.subarray(p + HEADER, p + HEADER + h.len)) !== h.payloadCrc) {
        throw new StorageError(`${this.path}: record ${this.#seqs[i]} at offset ${this.#offs[i]} is corrupt (changed since open); reopen to repair`);
      }
      parts.push(buf.toString('utf8', p + HEADER, p + HEADER + h.len));
      p += HEADER + h.len;
    }
    return parts.length === 1 ? [decodeTrusted(parts[0]!)] : (JSON.parse(`[${parts.join(',')}]`) as Message[]);
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}
