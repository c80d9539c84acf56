/**
 * BlobStore on files: atomic and durable puts (temp file, fsync, rename, fsync dir).
 *
 * A key "a/b/c" is stored at <root>/a.d/b.d/c.blob: directory names end in ".d" and file
 * names in ".blob", so a key can be both a blob and a prefix of other keys ("a" and "a/b")
 * without a file/directory clash. Keys are validated by checkBlobKey (no '.' or '..'
 * segments, no other separators), so nothing resolves outside the root. Directories are
 * created 0700, files 0600.
 */
import * as fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { BlobStore } from './blobStore.js';
import { checkBlobKey } from './blobStore.js';
import { StorageError, StoreConfigError } from './errors.js';
import { atomicWrite, ensureDir, fsyncDir, isTempName } from './fsutil.js';

const configSchema = z.object({ root: z.string().min(1) }).strict();

function keyPath(root: string, key: string): string {
  const segs = checkBlobKey(key).split('/');
  const leaf = segs.pop()!;
  return join(root, ...segs.map((s) => `${s}.d`), `${leaf}.blob`);
}

export class FileBlobStore implements BlobStore {
  readonly root: string;
  #closed = false;

  constructor(config: { root: string }) {
    const r = configSchema.safeParse(config);
    if (!r.success) throw new StoreConfigError(`invalid file blob store config: ${r.error.issues[0]?.message}`);
    this.root = r.data.root;
  }

  #check(): void {
    if (this.#closed) throw new StorageError('blob store is closed');
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#check();
    try {
      return new Uint8Array(await fsp.readFile(keyPath(this.root, key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.#check();
    const path = keyPath(this.root, key);
    if (!(bytes instanceof Uint8Array)) throw new StorageError('blob must be a Uint8Array');
    const dir = dirname(path);
    // Create each missing directory 0700 and make its entry durable in its parent.
    const missing: string[] = [];
    for (let d = dir; d.length >= this.root.length; d = dirname(d)) {
      try {
        await fsp.stat(d);
        break;
      } catch {
        missing.unshift(d);
      }
      if (d === this.root) break;
    }
    for (const d of missing) {
      await ensureDir(d);
      await fsyncDir(dirname(d));
    }
    await atomicWrite(path, bytes);
  }

  async delete(key: string): Promise<void> {
    this.#check();
    const path = keyPath(this.root, key);
    try {
      await fsp.rm(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await fsyncDir(dirname(path));
    // Prune directories left empty (best effort).
    for (let d = dirname(path); d !== this.root && d.startsWith(this.root); d = dirname(d)) {
      try {
        await fsp.rmdir(d);
      } catch {
        break;
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    this.#check();
    if (typeof prefix !== 'string') throw new StorageError('prefix must be a string');
    const out: string[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const name of names) {
        if (isTempName(name)) continue;
        if (name.endsWith('.blob')) {
          const key = keyPrefix + name.slice(0, -'.blob'.length);
          if (key.startsWith(prefix)) out.push(key);
        } else if (name.endsWith('.d')) {
          const sub = `${keyPrefix}${name.slice(0, -'.d'.length)}/`;
          // Descend only where keys can still start with the prefix.
          if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walk(join(dir, name), sub);
        }
      }
    };
    await walk(this.root, '');
    return out.sort();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
