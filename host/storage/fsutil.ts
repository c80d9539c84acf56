/**
 * File primitives with the durability rules of the file backends:
 * - atomic replace: write a temp file (mode 0600), fsync it, rename it over the target,
 *   fsync the directory; a reader sees the old bytes or the new, never a mix;
 * - directories 0700, files 0600 (explicit modes, whatever the umask);
 * - temp files are named `<name>.<pid>.<random>.tmp` so that ones left by a dead process
 *   can be recognised and removed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Creates the directory (and parents) with mode 0700. */
export async function ensureDir(path: string): Promise<void> {
  await fsp.mkdir(path, { recursive: true, mode: DIR_MODE });
  const st = await fsp.stat(path);
  if ((st.mode & 0o777) !== DIR_MODE && st.uid === process.getuid?.()) await fsp.chmod(path, DIR_MODE);
}

export async function fsyncDir(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function tempName(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Replaces `path` atomically and durably with `data`. */
export async function atomicWrite(path: string, data: string | Uint8Array, options: { syncDir?: boolean } = {}): Promise<void> {
  const tmp = tempName(path);
  const fh = await fsp.open(tmp, 'wx', FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  if (options.syncDir !== false) await fsyncDir(dirname(path));
}

/** The file's bytes, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Process start time (clock ticks since boot) from /proc, to tell a pid from a reused one; undefined off Linux. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export const HOST = hostname();
export const SELF_START = processStart(process.pid);

/** Whether the process that wrote {pid, start} on this host is still running. */
export function pidAlive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (start !== undefined) {
    const now = processStart(pid);
    if (now !== undefined && now !== start) return false; // the pid was reused
  }
  return true;
}

/** Removes `*.tmp` files in `dir` whose writer process is dead; returns how many. */
export async function removeDeadTemps(dir: string): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = /\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
    if (!m) continue;
    if (pidAlive(Number(m[1]))) continue;
    await fsp.rm(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

export function isTempName(name: string): boolean {
  return /\.\d+\.[0-9a-f]{12}\.tmp$/.test(basename(name));
}
