/**
 * ConversationMemory: the per-account tiers over one storage backend. Each account is a
 * separate AccountMemory with its own store handle, its own duplicate window, topic
 * detector and summaries; nothing is shared between accounts but the backend connection,
 * and every key or path is derived from a validated account id.
 *
 *   const memory = await ConversationMemory.open({ store: new FileStoreFactory(shape, { root: 'memory' }) });
 *   const alice = await memory.account('alice');
 *   await alice.append({ role: 'user', content: 'hello' });
 */
import type { StoreFactory } from '../storage/types.js';
import type { AccountMemoryOptions } from './account.js';
import { AccountMemory } from './account.js';
import { checkAccountId } from './accountId.js';
import type { TierConfig, TierConfigInput } from './config.js';
import { parseTierConfig, tierShape } from './config.js';
import { TierConfigError } from './errors.js';
import type { Summariser } from './summariser.js';
import { extractiveSummariser } from './summariser.js';

export interface ConversationMemoryOptions {
  /** The backend; its tier shape must match `config` (use tierShape(parseTierConfig(config))). */
  readonly store: StoreFactory;
  readonly config?: TierConfigInput;
  /** Default: the built-in extractive summariser (offline). */
  readonly summariser?: Summariser;
  readonly onError?: AccountMemoryOptions['onError'];
}

export class ConversationMemory {
  readonly config: TierConfig;
  readonly #store: StoreFactory;
  readonly #summariser: Summariser;
  readonly #onError: AccountMemoryOptions['onError'];
  readonly #accounts = new Map<string, Promise<AccountMemory>>();
  #closed = false;

  private constructor(options: ConversationMemoryOptions) {
    this.config = parseTierConfig(options.config);
    const want = tierShape(this.config);
    const have = options.store.shape;
    if (JSON.stringify(want) !== JSON.stringify({ shortTerm: have.shortTerm, midTerm: have.midTerm, dedupMessages: have.dedupMessages, dedupWithinMs: have.dedupWithinMs })) {
      throw new TierConfigError([{ path: 'store.shape', message: `the store was made for ${JSON.stringify(have)}, the config asks for ${JSON.stringify(want)}` }]);
    }
    if (options.summariser !== undefined && typeof options.summariser !== 'function') {
      throw new TierConfigError([{ path: 'summariser', message: 'must be an async function' }]);
    }
    this.#store = options.store;
    this.#summariser = options.summariser ?? extractiveSummariser;
    this.#onError = options.onError;
  }

  static async open(options: ConversationMemoryOptions): Promise<ConversationMemory> {
    return new ConversationMemory(options);
  }

  /** The account's memory, opened once and shared by later calls. */
  account(id: string): Promise<AccountMemory> {
    if (this.#closed) return Promise.reject(new Error('conversation memory is closed'));
    let acct: string;
    try {
      acct = checkAccountId(id);
    } catch (err) {
      return Promise.reject(err);
    }
    let p = this.#accounts.get(acct);
    if (!p) {
      const opening: Promise<AccountMemory> = AccountMemory.open(this.#store.account(acct), {
        config: this.config,
        summariser: this.#summariser,
        ...(this.#onError ? { onError: this.#onError } : {}),
        // An account closed on its own is opened afresh by the next account() call.
        onClose: () => {
          if (this.#accounts.get(acct) === opening) this.#accounts.delete(acct);
        },
      });
      p = opening;
      this.#accounts.set(acct, p);
      p.catch(() => {
        if (this.#accounts.get(acct) === opening) this.#accounts.delete(acct);
      });
    }
    return p;
  }

  /** Accounts stored in the backend. */
  listAccounts(): Promise<string[]> {
    return this.#store.listAccounts();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opened = await Promise.allSettled([...this.#accounts.values()]);
    await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
    await this.#store.close();
  }
}
