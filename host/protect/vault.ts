/**
 * The redaction vault: makes redaction reversible, but only for whoever holds the key.
 *
 * Each redacted value is sealed with AES-256-GCM (random 96-bit IV, the token as additional
 * authenticated data, so a ciphertext cannot be moved to another token) and filed under its
 * token, e.g. `[EMAIL:3]`. The same value of the same type always gets the same token: a
 * keyed HMAC-SHA256 of type and value finds it without storing the value. The exported
 * vault holds only ciphertexts, HMACs and a key check (an encrypted constant), so it may be
 * persisted anywhere; `open` and `reveal` need the key and fail with VaultKeyError without it.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { BlobStore } from '../storage/blobStore.js';
import { VaultKeyError } from './errors.js';

const KEY_CHECK = 'janela-vault-key-check-v1';

const entrySchema = z
  .object({
    token: z.string(),
    mac: z.string(),
    iv: z.string(),
    ct: z.string(),
    tag: z.string(),
  })
  .strict();

export const vaultDataSchema = z
  .object({
    format: z.literal(1),
    /** Present when the key was derived from a passphrase (scrypt). */
    salt: z.string().optional(),
    check: entrySchema,
    counters: z.record(z.string(), z.number().int().min(0)),
    entries: z.array(entrySchema),
  })
  .strict();
export type VaultData = z.output<typeof vaultDataSchema>;

export type VaultKey = Uint8Array | { passphrase: string; salt?: Uint8Array };

interface Entry {
  token: string;
  mac: string;
  iv: string;
  ct: string;
  tag: string;
}

export const TOKEN_RE = /\[([A-Z][A-Z0-9_]{0,31}):(\d{1,9})\]/g;

export class Vault {
  readonly #key: Buffer;
  readonly #salt: string | undefined;
  readonly #byToken = new Map<string, Entry>();
  readonly #byMac = new Map<string, string>();
  readonly #counters = new Map<string, number>();
  #check: Entry;
  #dirty = false;

  private constructor(key: Buffer, salt: string | undefined, check?: Entry) {
    this.#key = key;
    this.#salt = salt;
    this.#check = check ?? this.#seal('$CHECK', KEY_CHECK);
  }

  /** A new, empty vault. A raw key must be 32 bytes; a passphrase is stretched with scrypt (random salt). */
  static create(key: VaultKey): Vault {
    const { raw, salt } = deriveKey(key, undefined);
    return new Vault(raw, salt);
  }

  /** Re-opens exported vault data; throws VaultKeyError unless `key` is the one it was made with. */
  static import(data: unknown, key: VaultKey): Vault {
    const r = vaultDataSchema.safeParse(data);
    if (!r.success) throw new VaultKeyError(`not vault data: ${r.error.issues[0]?.message ?? 'invalid'}`);
    const d = r.data;
    const { raw, salt } = deriveKey(key, d.salt);
    const v = new Vault(raw, salt, d.check);
    if (v.#open(d.check, '$CHECK') !== KEY_CHECK) throw new VaultKeyError('wrong vault key');
    for (const e of d.entries) {
      v.#byToken.set(e.token, e);
      v.#byMac.set(e.mac, e.token);
    }
    for (const [t, n] of Object.entries(d.counters)) v.#counters.set(t, n);
    return v;
  }

  /** Loads `key` from the store (or creates an empty vault when absent). */
  static async load(store: BlobStore, blobKey: string, key: VaultKey): Promise<Vault> {
    const bytes = await store.get(blobKey);
    if (!bytes) return Vault.create(key);
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new VaultKeyError(`${blobKey} is not vault data`);
    }
    return Vault.import(data, key);
  }

  /** Writes the vault (ciphertexts only) when it changed. */
  async save(store: BlobStore, blobKey: string): Promise<void> {
    if (!this.#dirty) return;
    await store.put(blobKey, new TextEncoder().encode(JSON.stringify(this.export())));
    this.#dirty = false;
  }

  get size(): number {
    return this.#byToken.size;
  }

  /** The token for `value` of `type`, sealing it on first sight. */
  seal(type: string, value: string): string {
    const mac = createHmac('sha256', this.#key).update(type).update('\0').update(value).digest('base64url');
    const have = this.#byMac.get(mac);
    if (have) return have;
    const n = (this.#counters.get(type) ?? 0) + 1;
    this.#counters.set(type, n);
    const token = `[${type}:${n}]`;
    const e = { ...this.#seal(token, value), mac };
    this.#byToken.set(token, e);
    this.#byMac.set(mac, token);
    this.#dirty = true;
    return token;
  }

  /** The value behind `token`, or undefined for a token this vault did not issue. */
  open(token: string): string | undefined {
    const e = this.#byToken.get(token);
    return e ? this.#open(e, token) : undefined;
  }

  /** `text` with every token of this vault replaced by its value; other tokens stay. */
  reveal(text: string): string {
    return text.replace(TOKEN_RE, (t) => this.open(t) ?? t);
  }

  export(): VaultData {
    return {
      format: 1,
      ...(this.#salt ? { salt: this.#salt } : {}),
      check: this.#check,
      counters: Object.fromEntries(this.#counters),
      entries: [...this.#byToken.values()].map((e) => ({ ...e })),
    };
  }

  #seal(token: string, value: string): Entry {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(token));
    const ct = Buffer.concat([c.update(value, 'utf8'), c.final()]);
    return { token, mac: '', iv: iv.toString('base64url'), ct: ct.toString('base64url'), tag: c.getAuthTag().toString('base64url') };
  }

  #open(e: Entry, token: string): string {
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(e.iv, 'base64url'));
      d.setAAD(Buffer.from(token));
      d.setAuthTag(Buffer.from(e.tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(e.ct, 'base64url')), d.final()]).toString('utf8');
    } catch {
      throw new VaultKeyError(`cannot open ${token}: wrong key or tampered entry`);
    }
  }
}

function deriveKey(key: VaultKey, storedSalt: string | undefined): { raw: Buffer; salt: string | undefined } {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new VaultKeyError(`a vault key is 32 bytes, got ${key.length}`);
    if (storedSalt) throw new VaultKeyError('this vault was made from a passphrase');
    return { raw: Buffer.from(key), salt: undefined };
  }
  if (!key || typeof key.passphrase !== 'string' || key.passphrase.length < 8) throw new VaultKeyError('a vault passphrase needs at least 8 characters');
  const salt = storedSalt ? Buffer.from(storedSalt, 'base64url') : Buffer.from(key.salt ?? randomBytes(16));
  return { raw: scryptSync(key.passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }), salt: salt.toString('base64url') };
}

/** Constant-time comparison of two strings (for callers comparing secrets). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
