/**
 * Topic-change detection from the messages alone: a message whose content words have a
 * cosine similarity below `threshold` with the recent messages (term-frequency vectors of
 * their content words) starts a new topic. Short messages ("ok", "thanks!") never do.
 */
import type { Message } from './message.js';
import { contentWords, cosine, termVector } from './text.js';

export interface TopicOptions {
  readonly threshold: number;
  readonly window: number;
  readonly minTokens: number;
}

export class TopicDetector {
  #recent: string[][] = [];

  constructor(readonly options: TopicOptions) {}

  /** Seeds the recent window (e.g. from short-term at open) without detecting. */
  seed(messages: readonly Message[]): void {
    for (const m of messages) this.#remember(contentWords(m.content));
  }

  /** Similarity of `m` to the recent messages; undefined when either side has too few words to judge. */
  similarity(m: Message): number | undefined {
    const ws = contentWords(m.content);
    const recent = this.#recent.flat();
    const sim = ws.length >= this.options.minTokens && recent.length >= this.options.minTokens
      ? cosine(termVector(ws), termVector(recent))
      : undefined;
    this.#remember(ws);
    return sim;
  }

  /** True when `m` starts a new topic; the recent window then restarts with `m`. */
  observe(m: Message): boolean {
    const s = this.similarity(m);
    const changed = s !== undefined && s < this.options.threshold;
    if (changed) this.#recent = this.#recent.slice(-1);
    return changed;
  }

  #remember(ws: string[]): void {
    if (ws.length === 0) return;
    this.#recent.push(ws);
    if (this.#recent.length > this.options.window) this.#recent.shift();
  }
}
