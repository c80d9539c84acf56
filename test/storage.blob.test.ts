/** The BlobStore contract, run against every implementation: memory, files, Redis. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../host/storage/blobStore.js';
import { BlobKeyError, MemoryBlobStore } from '../host/storage/blobStore.js';
import { FileBlobStore } from '../host/storage/fileBlobStore.js';
import { RedisBlobStore } from '../host/storage/redisBlobStore.js';
import type { RedisServer } from '../bench/support/redis.js';
import { startRedis } from '../bench/support/redis.js';
import { tempDir } from './support/tiers.js';

let server: RedisServer;
let tmp: ReturnType<typeof tempDir>;
let n = 0;
beforeAll(async () => {
  server = await startRedis();
  tmp = tempDir('janela-blob-');
});
afterAll(async () => {
  await server.cleanup();
  tmp.cleanup();
});

const makers: [string, () => BlobStore][] = [
  ['MemoryBlobStore', () => new MemoryBlobStore()],
  ['FileBlobStore', () => new FileBlobStore({ root: join(tmp.dir, `s${++n}`) })],
  ['RedisBlobStore', () => new RedisBlobStore({ url: server.url, prefix: `b${++n}:` })],
];

const bytes = (s: string) => new TextEncoder().encode(s);

describe.each(makers)('%s', (_name, make) => {
  it('put, get, replace, delete', async () => {
    const s = make();
    expect(await s.get('a')).toBeUndefined();
    await s.put('a', bytes('one'));
    expect(await s.get('a')).toEqual(bytes('one'));
    await s.put('a', bytes('two'));
    expect(await s.get('a')).toEqual(bytes('two'));
    await s.delete('a');
    expect(await s.get('a')).toBeUndefined();
    await s.delete('a'); // absent is fine
    await s.close();
  });

  it('binary content round-trips byte for byte, and the store keeps its own copy', async () => {
    const s = make();
    const b = new Uint8Array(256).map((_, i) => i);
    await s.put('bin/all-bytes', b);
    b[0] = 99;
    const got = await s.get('bin/all-bytes');
    expect(got?.[0]).toBe(0);
    expect(got).toEqual(new Uint8Array(256).map((_, i) => i));
    await s.put('empty', new Uint8Array(0));
    expect(await s.get('empty')).toEqual(new Uint8Array(0));
    await s.close();
  });

  it('list(prefix) is sorted, prefix-exact, and a key can also be a prefix of others', async () => {
    const s = make();
    for (const k of ['archive/2', 'archive/10', 'archive', 'archives/x', 'other/a', 'archive/1/deep']) await s.put(k, bytes(k));
    expect(await s.list('archive/')).toEqual(['archive/1/deep', 'archive/10', 'archive/2']);
    expect(await s.list('arch')).toEqual(['archive', 'archive/1/deep', 'archive/10', 'archive/2', 'archives/x']);
    expect(await s.list('')).toHaveLength(6);
    expect(await s.list('zzz')).toEqual([]);
    expect(await s.get('archive')).toEqual(bytes('archive'));
    await s.delete('archive/1/deep');
    expect(await s.list('archive/')).toEqual(['archive/10', 'archive/2']);
    await s.close();
  });

  it('refuses bad keys', async () => {
    const s = make();
    for (const k of ['', '../x', 'a/../b', 'a//b', '/abs', 'a/./b', 'sp ace', 'a\\b', '.', '..']) {
      await expect(s.put(k, bytes('x'))).rejects.toBeInstanceOf(BlobKeyError);
      await expect(s.get(k)).rejects.toBeInstanceOf(BlobKeyError);
    }
    await s.close();
  });
});

describe('FileBlobStore on disk', () => {
  it('keeps blobs under its root with modes 0600/0700, and leaves no temp files', async () => {
    const root = join(tmp.dir, 'disk');
    const s = new FileBlobStore({ root });
    await s.put('x/y/z', bytes('zz'));
    await s.put('x', bytes('x'));
    expect(readdirSync(root).sort()).toEqual(['x.blob', 'x.d']);
    expect(statSync(join(root, 'x.d', 'y.d', 'z.blob')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'x.d', 'y.d')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(root, 'x.d', 'y.d'))).toEqual(['z.blob']);
    // Survives a new instance (durable on disk).
    expect(await new FileBlobStore({ root }).get('x/y/z')).toEqual(bytes('zz'));
  });
});

describe('RedisBlobStore across a restart', () => {
  it('keeps what was acknowledged', async () => {
    const s = new RedisBlobStore({ url: server.url, prefix: 'persist:', maxReconnectDelayMs: 50 });
    await s.put('k', bytes('kept'));
    await s.close();
    await server.kill(); // a crash: only the append-only file (fsync always) keeps it
    await server.start();
    const t = new RedisBlobStore({ url: server.url, prefix: 'persist:' });
    expect(await t.get('k')).toEqual(bytes('kept'));
    await t.close();
  });
});
