import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../host/storage/blobStore.js';
import { VaultKeyError } from '../host/protect/errors.js';
import { Redactor } from '../host/protect/redact.js';
import { Vault } from '../host/protect/vault.js';
import { POSITIVES } from './support/contextRedactionCorpus.js';

const doc = POSITIVES.map((p) => p.text).join('\n');

describe('Vault', () => {
  it('round-trips the whole corpus with the key', () => {
    const key = randomBytes(32);
    const r = new Redactor({ vault: Vault.create(key) });
    const red = r.redact(doc);
    for (const p of POSITIVES) expect(red.text).not.toContain(p.value);
    expect(r.reveal(red.text)).toBe(doc);
  });

  it('exported data holds no plaintext and re-opens only with the right key', () => {
    const key = randomBytes(32);
    const v = Vault.create(key);
    const red = new Redactor({ vault: v }).redact(doc).text;
    const data = JSON.stringify(v.export());
    for (const p of POSITIVES) expect(data).not.toContain(p.value);
    expect(Vault.import(JSON.parse(data), key).reveal(red)).toBe(doc);
    expect(() => Vault.import(JSON.parse(data), randomBytes(32))).toThrow(VaultKeyError);
    expect(() => Vault.create(randomBytes(16))).toThrow(VaultKeyError);
  });

  it('detects a tampered or moved ciphertext', () => {
    const key = randomBytes(32);
    const v = Vault.create(key);
    v.seal('EMAIL', 'a@example.com');
    v.seal('EMAIL', 'b@example.com');
    const d = v.export();
    const [e1, e2] = d.entries;
    // Swap the ciphertexts of two tokens: the token is authenticated data, so both fail.
    const swapped = { ...d, entries: [{ ...e1!, iv: e2!.iv, ct: e2!.ct, tag: e2!.tag }, e2!] };
    expect(() => Vault.import(swapped, key).open(e1!.token)).toThrow(VaultKeyError);
  });

  it('gives the same value the same token across calls; persists through a BlobStore with a passphrase', async () => {
    const store = new MemoryBlobStore();
    const v = Vault.create({ passphrase: 'correct horse battery' });
    const r = new Redactor({ vault: v });
    const t1 = r.redactText('mail alice@example.com');
    const t2 = r.redactText('again alice@example.com and bob@example.com');
    expect(t1).toBe('mail [EMAIL:1]');
    expect(t2).toBe('again [EMAIL:1] and [EMAIL:2]');
    await v.save(store, 'vault/acct1.json');
    const back = await Vault.load(store, 'vault/acct1.json', { passphrase: 'correct horse battery' });
    expect(back.reveal(t2)).toBe('again alice@example.com and bob@example.com');
    await expect(Vault.load(store, 'vault/acct1.json', { passphrase: 'wrong horse battery' })).rejects.toBeInstanceOf(VaultKeyError);
    expect(back.reveal('[EMAIL:99] stays')).toBe('[EMAIL:99] stays');
  });
});
