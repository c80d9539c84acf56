/**
 * Readers of the shared cache traces (../shared/data/traces, never copied into the project):
 * - LIRS traces (`lirs-*.trace.gz`): gzip text, one integer key per line (CRLF tolerated;
 *   lines that are not integers, such as the '*' checkpoints, are skipped);
 * - cache2k traces (`cache2k-*.trace.xz`): xz, big-endian 32-bit keys. Node has no xz
 *   decoder, so these are read through the `xz` command-line tool when it is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** ../shared/data from the project root. */
export const SHARED_DATA = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data');
export const TRACES_DIR = join(SHARED_DATA, 'traces');

export interface Trace {
  readonly name: string;
  readonly keys: Int32Array;
}

/** Parses LIRS text (one integer per line). */
export function parseLirs(text: string): Int32Array {
  const out: number[] = [];
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 10;
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      digits++;
    } else if (c === 10) {
      if (digits > 0 && digits <= 10) out.push(n | 0);
      n = 0;
      digits = 0;
    } else if (c === 13 || c === 32 || c === 9) {
      // whitespace around the number
    } else {
      // a non-integer line ('*' checkpoint): skip it
      digits = 11;
    }
  }
  return Int32Array.from(out);
}

/** Decodes big-endian 32-bit keys (a trailing partial word is ignored). */
export function parseBigEndian32(bytes: Uint8Array): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(bytes.byteLength >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i, false);
  return out;
}

export function readLirsTrace(path: string): Int32Array {
  return parseLirs(gunzipSync(readFileSync(path)).toString('latin1'));
}

/** Whether the `xz` tool can be run. */
export function hasXz(): boolean {
  const r = spawnSync('xz', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

export function readCache2kTrace(path: string): Int32Array {
  const bytes = execFileSync('xz', ['-dc', path], { maxBuffer: 1 << 30 });
  return parseBigEndian32(bytes);
}

export type TraceLoad = { trace: Trace } | { skipped: string };

/** Loads a trace by file name from the shared folder, or says why it is skipped. */
export function loadTrace(file: string, dir = TRACES_DIR): TraceLoad {
  const path = join(dir, file);
  const name = file.replace(/\.trace\.(gz|xz)$/, '');
  if (!existsSync(path)) return { skipped: `${file}: not found in ${dir}` };
  if (file.endsWith('.gz')) return { trace: { name, keys: readLirsTrace(path) } };
  if (file.endsWith('.xz')) {
    if (!hasXz()) return { skipped: `${file}: the 'xz' tool is not installed (apt-get install xz-utils); Node cannot read xz` };
    return { trace: { name, keys: readCache2kTrace(path) } };
  }
  return { skipped: `${file}: unknown trace format` };
}
