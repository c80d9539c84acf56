/**
 * Runs test/support/tiersWriter.ts as a child process. The writer is bundled once into a
 * temp dir with esbuild (which tsx brings along), so a child starts in ~0.1 s instead of
 * ~1 s through tsx; if esbuild cannot be loaded the child runs through tsx.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const writerTs = join(here, 'tiersWriter.ts');
let bundled: { file: string; dir: string } | undefined;

export async function prepareWriter(): Promise<void> {
  if (bundled) return;
  try {
    const { build } = await import('esbuild');
    const dir = mkdtempSync(join(tmpdir(), 'janela-writer-'));
    const file = join(dir, 'writer.mjs');
    await build({ entryPoints: [writerTs], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: file, logLevel: 'error' });
    bundled = { file, dir };
  } catch {
    bundled = undefined;
  }
}

export function disposeWriter(): void {
  if (bundled) rmSync(bundled.dir, { recursive: true, force: true });
  bundled = undefined;
}

export interface Writer {
  readonly child: ChildProcess;
  /** Ids acknowledged (durable) so far, in order. */
  readonly acked: string[];
  /** Kinds of the repairs the writer's open reported. */
  readonly repairs: string[];
  /** Resolves at the 'ready' line (the account is open). */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited (and been reaped). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function startWriter(root: string, account: string, tag: string, count: number, lanes = 3): Writer {
  const args = bundled ? [bundled.file] : ['--import', 'tsx', writerTs];
  const child = spawn(process.execPath, [...args, root, account, tag, String(count), String(lanes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  const repairs: string[] = [];
  let buf = '';
  let err = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'ready') readyResolve();
      else if (line.startsWith('ack ')) acked.push(line.slice(4));
      else if (line.startsWith('repairs ')) repairs.push(...line.slice(8).split(',').filter(Boolean));
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      readyResolve();
      resolve({ code, signal });
    }),
  );
  return { child, acked, repairs, ready, exited, stderr: () => err };
}
