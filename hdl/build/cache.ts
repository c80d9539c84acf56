/**
 * Build cache: one folder per hash of everything that goes into a bitstream (design
 * files, board entry, pcf, config hash, generator and tool versions, flow options), so an
 * unchanged build returns at once and any change rebuilds.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../../spec/buildId.js';
import { cacheRoot } from '../../sim/verilator.js';

/** Bump when the flow changes what it produces for the same inputs. */
export const FLOW_VERSION = 2;

export const ARTIFACTS = ['janela.bin', 'report.json', 'nextpnr-report.json', 'netlist.v', 'build.log'] as const;
export type ArtifactName = (typeof ARTIFACTS)[number];
export type Artifacts = Record<ArtifactName, Uint8Array | string>;

export function cacheKey(inputs: unknown): string {
  return createHash('sha256')
    .update(canonicalJson({ flow: FLOW_VERSION, inputs }))
    .digest('hex')
    .slice(0, 20);
}

function dirFor(board: string, key: string): string {
  return join(cacheRoot(), 'ice40', `${board}-${key}`);
}

export async function cacheGet(board: string, key: string): Promise<Artifacts | undefined> {
  const dir = dirFor(board, key);
  if (!existsSync(join(dir, 'report.json'))) return undefined;
  try {
    const entries = await Promise.all(
      ARTIFACTS.map(async (n) => [n, n === 'janela.bin' ? new Uint8Array(await readFile(join(dir, n))) : await readFile(join(dir, n), 'utf8')] as const),
    );
    return Object.fromEntries(entries) as Artifacts;
  } catch {
    return undefined;
  }
}

export async function cachePut(board: string, key: string, artifacts: Artifacts): Promise<void> {
  const dir = dirFor(board, key);
  // Write privately and rename, so a concurrent build never reads half an entry.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  for (const n of ARTIFACTS) await writeFile(join(tmp, n), artifacts[n]);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir).catch(async () => rm(tmp, { recursive: true, force: true }));
}
