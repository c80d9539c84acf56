/**
 * Token counting with gpt-tokenizer (pure TypeScript BPE, encodings bundled).
 *
 * Content is counted as plain text: special-token strings such as `<|endoftext|>` inside a
 * message count as the ordinary text they are (a user cannot smuggle control tokens in).
 *
 * Message framing follows the ChatML rendering gpt-tokenizer's `encodeChat` produces for
 * the chat models: `<|im_start|>{name ?? role}<|im_sep|>{content}<|im_end|>`, i.e.
 * 3 special tokens + tokens(name ?? role) + tokens(content) per message, and a window that
 * is sent to the model also carries the 3-token reply primer `<|im_start|>assistant<|im_sep|>`.
 * The sum of `messageTokens` over a list plus `replyPrimer` equals `encodeChat(list).length`
 * (tested). Encodings without ChatML specials (p50k, r50k) use the same figures as an estimate.
 */
import { z } from 'zod';
import { ContextWindowError, parseWith } from './errors.js';
import { IntelligentCache } from '../cache/cache.js';
import { contentKey, type TokenCountCache } from './tokenCache.js';

/** Encodings gpt-tokenizer 4 ships (`gpt-tokenizer/encoding/<name>`). */
export const ENCODINGS = ['o200k_base', 'cl100k_base', 'o200k_harmony', 'p50k_base', 'r50k_base'] as const;
export type EncodingName = (typeof ENCODINGS)[number];
/** GPT-4o / 4.1 / 5 and the o-series use o200k_base. */
export const DEFAULT_ENCODING: EncodingName = 'o200k_base';

/** Special tokens around every message: <|im_start|>, <|im_sep|>, <|im_end|>. */
export const MESSAGE_FRAME_TOKENS = 3;
/** `<|im_start|>assistant<|im_sep|>` primes the reply of every request. */
export const REPLY_PRIMER_TOKENS = 3;

interface Encoder {
  encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
  decode(tokens: Iterable<number>): string;
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

const LOADERS: Record<EncodingName, () => Promise<Encoder>> = {
  o200k_base: () => import('gpt-tokenizer/encoding/o200k_base'),
  cl100k_base: () => import('gpt-tokenizer/encoding/cl100k_base'),
  o200k_harmony: () => import('gpt-tokenizer/encoding/o200k_harmony'),
  p50k_base: () => import('gpt-tokenizer/encoding/p50k_base'),
  r50k_base: () => import('gpt-tokenizer/encoding/r50k_base'),
};

/** Everything as plain text: no special tokens are recognised in content. */
const PLAIN = { disallowedSpecial: new Set<string>() };

export const tokenCounterOptionsSchema = z
  .object({
    encoding: z.enum(ENCODINGS).default(DEFAULT_ENCODING),
    /** Texts shorter than this are counted directly: hashing them costs about as much as counting. */
    minCachedLength: z.number().int().min(0).default(64),
    /** Entries of the default cache (an IntelligentCache) used when no cache is given. */
    cacheCapacity: z.number().int().positive().default(50_000),
  })
  .strict();
export type TokenCounterOptions = z.input<typeof tokenCounterOptionsSchema> & {
  /** Where counts are cached, keyed by `contentKey(encoding, text)`; default an IntelligentCache of `cacheCapacity` entries. */
  cache?: TokenCountCache;
};

/** The framing-relevant part of a message. */
export interface Framed {
  readonly role: string;
  readonly name?: string | undefined;
  readonly content: string;
}

/** The project's cache layer holds token counts unless the caller brings its own TokenCountCache. */
function defaultCache(entries: number): TokenCountCache {
  return new IntelligentCache<string, number>({ name: 'token-counts', maxEntries: entries, policy: 'lru' });
}

export class TokenCounter {
  readonly #enc: Encoder;
  readonly #cache: TokenCountCache;
  readonly #minCached: number;
  readonly #headerCounts = new Map<string, number>();
  #hits = 0;
  #misses = 0;
  #counted = 0;

  private constructor(
    readonly encoding: EncodingName,
    enc: Encoder,
    cache: TokenCountCache,
    minCached: number,
  ) {
    this.#enc = enc;
    this.#cache = cache;
    this.#minCached = minCached;
  }

  /** Loads the encoding (its BPE ranks are imported on demand: ~100 ms for o200k_base). */
  static async create(options: TokenCounterOptions = {}): Promise<TokenCounter> {
    const { cache, ...rest } = options;
    const o = parseWith(tokenCounterOptionsSchema, rest, (m) => new ContextWindowError(`invalid token counter options: ${m}`));
    const enc = await LOADERS[o.encoding]();
    return new TokenCounter(o.encoding, enc, cache ?? defaultCache(o.cacheCapacity), o.minCachedLength);
  }

  /** Tokens of `text` as plain content; cached by content hash for longer texts. */
  count(text: string): number {
    if (text.length === 0) return 0;
    if (text.length < this.#minCached) {
      this.#counted++;
      return this.#enc.countTokens(text, PLAIN);
    }
    const key = contentKey(this.encoding, text);
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#hits++;
      return hit;
    }
    this.#misses++;
    this.#counted++;
    const n = this.#enc.countTokens(text, PLAIN);
    this.#cache.set(key, n);
    return n;
  }

  /** Framing tokens of one message: 3 specials + tokens(name ?? role). */
  frameTokens(m: Pick<Framed, 'role' | 'name'>): number {
    const header = m.name ?? m.role;
    let n = this.#headerCounts.get(header);
    if (n === undefined) {
      n = MESSAGE_FRAME_TOKENS + this.#enc.countTokens(header, PLAIN);
      if (this.#headerCounts.size < 1024) this.#headerCounts.set(header, n);
    }
    return n;
  }

  /** Tokens one message occupies in a window: framing + content. */
  messageTokens(m: Framed): number {
    return this.frameTokens(m) + this.count(m.content);
  }

  /** Reply primer added once per request. */
  get replyPrimer(): number {
    return REPLY_PRIMER_TOKENS;
  }

  encode(text: string): number[] {
    return this.#enc.encode(text, PLAIN);
  }

  decode(tokens: readonly number[]): string {
    return this.#enc.decode(tokens);
  }

  /** The longest prefix of `text`'s tokens, decoded, whose re-count is at most `maxTokens`. */
  head(text: string, maxTokens: number): string {
    if (maxTokens <= 0) return '';
    return this.headOf(text, this.encode(text), maxTokens);
  }

  /** `head(text, maxTokens)` given `tokens = encode(text)`, so that repeated cuts of one text encode it once. */
  headOf(text: string, tokens: readonly number[], maxTokens: number): string {
    if (maxTokens <= 0) return '';
    if (tokens.length <= maxTokens) return text;
    let k = maxTokens;
    // Decoding a cut inside a multi-token character and re-encoding can change the count; shrink until it holds.
    for (;;) {
      const s = this.decode(tokens.slice(0, k)).replace(/\uFFFD+$/u, '');
      if (k === 0 || this.#enc.countTokens(s, PLAIN) <= maxTokens) return s;
      k--;
    }
  }

  stats(): { encoding: EncodingName; cacheHits: number; cacheMisses: number; counted: number } {
    return { encoding: this.encoding, cacheHits: this.#hits, cacheMisses: this.#misses, counted: this.#counted };
  }
}
