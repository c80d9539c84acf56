/**
 * A cross-process lock on one account directory, without flock (Node has none):
 *
 * - Acquire: write {pid, start, host, token, at} to a private temp file and `link()` it to
 *   `lock`. link() fails with EEXIST when the lock exists, and publishes a complete file
 *   when it succeeds, so nobody ever reads a half-written lock.
 * - Wait: while the holder is alive, retry with a short, jittered back-off until `timeoutMs`.
 * - Stale: the holder's pid is gone (kill(pid, 0) → ESRCH), or was reused (its start time
 *   in /proc differs), or the file is unreadable (left by an OS crash). Only locks of this
 *   host can be judged; the file backend is for one host (use Redis for many).
 * - Break: under a second lock `lock.break` (acquired the same way), re-read `lock` and
 *   unlink it only if it still holds the stale token that was seen, so two processes that
 *   both saw the stale lock cannot remove a fresh one. A dead `lock.break` is removed by
 *   renaming it away and checking the renamed file is the dead one (else it is linked back).
 *
 * Within one process a promise queue per path orders acquirers before they touch the file.
 * The file operations are synchronous system calls (create, link, unlink of tiny files:
 * microseconds on a local file system), so taking the lock costs no thread-pool round trips.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError } from './errors.js';
import { FILE_MODE, HOST, SELF_START, pidAlive } from './fsutil.js';

export interface LockInfo {
  readonly pid: number;
  readonly start?: string;
  readonly host: string;
  readonly token: string;
  readonly at: number;
}

const local = new Map<string, Promise<void>>();

function readInfo(path: string): LockInfo | null | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (typeof v.pid === 'number' && typeof v.token === 'string' && typeof v.host === 'string') return v;
  } catch {
    /* unreadable */
  }
  return null; // exists but unreadable
}

function isStale(info: LockInfo | null): boolean {
  if (info === null) return true;
  if (info.host !== HOST) return false;
  return !pidAlive(info.pid, info.start);
}

function tryLink(path: string, info: LockInfo): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(info), { mode: FILE_MODE, flag: 'wx' });
  try {
    fs.linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Removes `path` only if it holds `expected` (token, or unreadable when null). */
function removeIf(path: string, expected: LockInfo | null): boolean {
  const aside = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    fs.renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const got = readInfo(aside);
  const same = expected === null ? got === null : got?.token === expected.token;
  if (!same) {
    // Not the one we meant to remove: put it back (if nobody took the name meanwhile).
    try {
      fs.linkSync(aside, path);
    } catch {
      /* taken meanwhile */
    }
  }
  fs.rmSync(aside, { force: true });
  return same;
}

export class FileLock {
  #held: LockInfo | undefined;
  #releaseLocal: (() => void) | undefined;

  constructor(
    readonly path: string,
    readonly options: { timeoutMs: number; onStale?: (info: LockInfo | null) => void },
  ) {}

  get held(): boolean {
    return this.#held !== undefined;
  }

  async acquire(): Promise<void> {
    // Queue behind other acquirers of this path in this process.
    const prev = local.get(this.path) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = prev.then(() => mine);
    local.set(this.path, chained);
    await prev;
    this.#releaseLocal = () => {
      release();
      if (local.get(this.path) === chained) local.delete(this.path);
    };
    try {
      await this.#acquireFile();
    } catch (err) {
      this.#releaseLocal();
      this.#releaseLocal = undefined;
      throw err;
    }
  }

  async #acquireFile(): Promise<void> {
    const info: LockInfo = {
      pid: process.pid,
      ...(SELF_START !== undefined ? { start: SELF_START } : {}),
      host: HOST,
      token: randomBytes(12).toString('hex'),
      at: Date.now(),
    };
    const deadline = Date.now() + this.options.timeoutMs;
    let wait = 0.5;
    for (;;) {
      if (tryLink(this.path, info)) {
        this.#held = info;
        return;
      }
      const other = readInfo(this.path);
      if (other === undefined) continue; // released meanwhile
      if (isStale(other)) {
        if (await this.#breakStale(other, info)) this.options.onStale?.(other);
        continue;
      }
      if (Date.now() > deadline) {
        throw new LockTimeoutError(
          `${this.path} is held by pid ${other?.pid} on ${other?.host} since ${new Date(other?.at ?? 0).toISOString()}`,
        );
      }
      await sleep(wait * (0.5 + Math.random()));
      wait = Math.min(wait * 2, 20);
    }
  }

  async #breakStale(stale: LockInfo | null, me: LockInfo): Promise<boolean> {
    const breaker = `${this.path}.break`;
    if (!tryLink(breaker, me)) {
      const b = readInfo(breaker);
      if (b !== undefined && isStale(b)) removeIf(breaker, b);
      else await sleep(1);
      return false;
    }
    try {
      const cur = readInfo(this.path);
      const same = stale === null ? cur === null : cur?.token === stale.token;
      if (!same) return false;
      fs.rmSync(this.path, { force: true });
      return true;
    } finally {
      fs.rmSync(breaker, { force: true });
    }
  }

  async release(): Promise<void> {
    if (this.#held === undefined) return;
    this.#held = undefined;
    try {
      fs.rmSync(this.path, { force: true });
    } finally {
      this.#releaseLocal?.();
      this.#releaseLocal = undefined;
    }
  }

  async with<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }
}
