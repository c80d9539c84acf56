/** Spilling items evicted from a hardware memory window into an account's short-term tier. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationMemory } from '../host/tiers/index.js';
import { InvalidMessageError, evictedMessage, evictionSpiller, spillEvicted } from '../host/tiers/index.js';
import { fileMemory, tempDir } from './support/tiers.js';

let tmp: ReturnType<typeof tempDir>;
let mem: ConversationMemory;
beforeEach(async () => {
  tmp = tempDir();
  mem = await fileMemory(tmp.dir);
});
afterEach(async () => {
  await mem.close();
  tmp.cleanup();
});

describe('spill', () => {
  it('an evicted item becomes a memory message in short-term and the whole history', async () => {
    const a = await mem.account('alice');
    await a.append({ role: 'user', content: 'hello' });
    const r = await spillEvicted(a, { content: 'the user prefers window seats', window: 3, salience: 17, handle: 0x1234n });
    expect(r!.duplicate).toBe(false);
    const last = (await a.shortTerm()).at(-1)!;
    expect(last).toMatchObject({ role: 'memory', content: 'the user prefers window seats', metadata: { source: 'janela-device', evicted: true, window: 3, salience: 17, handle: '4660' } });
    expect((await a.history({ limit: 1 }))[0]!.id).toBe(last.id);
  });

  it('bytes are decoded as UTF-8, or kept as base64 when they are not text', () => {
    expect(evictedMessage({ content: new TextEncoder().encode('olá') }).content).toBe('olá');
    const bin = evictedMessage({ content: new Uint8Array([0xff, 0xfe, 0x00]) });
    expect(bin).toMatchObject({ content: '//4A', metadata: { encoding: 'base64' } });
  });

  it('the onEvict callback spills in order and reports errors without throwing', async () => {
    const a = await mem.account('alice');
    const errors: unknown[] = [];
    const onEvict = evictionSpiller(a, (err) => errors.push(err));
    onEvict({ content: 'first' });
    onEvict({ content: 'x'.repeat(70_000) }); // over the content limit
    onEvict({ content: 'second' });
    await onEvict.drain();
    expect((await a.shortTerm()).map((m) => m.content)).toEqual(['first', 'second']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidMessageError);
  });

  it('accepts the device client’s items: JSON content, a cause, and no content (skipped)', async () => {
    const a = await mem.account('alice');
    const device = { window: 1, salience: 3, handle: 7n, cause: 'decay' as const };
    const spiller = evictionSpiller(a);
    // Assignable to the device client's callback type.
    const onEvict: (item: { window: number; salience: number; handle: bigint; content: Uint8Array | { k: number[] } | undefined; cause: 'store' | 'decay' }) => void =
      spiller;
    onEvict({ ...device, content: { k: [1, 2] } });
    onEvict({ ...device, content: undefined });
    await spiller.drain();
    const short = await a.shortTerm();
    expect(short).toHaveLength(1);
    expect(short[0]).toMatchObject({ content: '{"k":[1,2]}', metadata: { contentType: 'json', cause: 'decay', handle: '7' } });
    expect(await spillEvicted(a, { content: undefined })).toBeUndefined();
  });

  it('refuses what is not an evicted item', async () => {
    const a = await mem.account('alice');
    await expect(spillEvicted(a, { content: () => 5 } as never)).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(spillEvicted(a, { content: 'x', window: -1 })).rejects.toBeInstanceOf(InvalidMessageError);
    expect((await a.counts()).messageCount).toBe(0);
  });
});
