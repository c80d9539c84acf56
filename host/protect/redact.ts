/**
 * Redaction of sensitive data before it is persisted or leaves the process.
 *
 * Every rule scans the whole text; a match becomes a finding when its validator (if any)
 * accepts it. Findings of earlier rules win over overlapping later ones. Each finding is
 * replaced by a token `[TYPE:n]`: without a vault, n numbers the distinct values of that
 * type within one call and the mapping is discarded (irreversible); with a vault, the vault
 * issues the token and keeps the value sealed under its key (reversible with the key only).
 */
import { RedactionRuleError } from './errors.js';
import { DEFAULT_RULES, parseRules, type CompiledRule, type RuleInput } from './rules.js';
import { TOKEN_RE, Vault } from './vault.js';

export interface Finding {
  readonly type: string;
  /** Offsets in the input text. */
  readonly start: number;
  readonly end: number;
  readonly token: string;
}

export interface RedactionResult {
  readonly text: string;
  readonly findings: readonly Finding[];
}

export interface RedactorOptions {
  /** Rule set as data (default DEFAULT_RULES). */
  rules?: readonly RuleInput[];
  /** Makes redaction reversible with the vault's key. */
  vault?: Vault;
}

export class Redactor {
  readonly #rules: CompiledRule[];
  readonly #vault: Vault | undefined;

  constructor(options: RedactorOptions = {}) {
    this.#rules = parseRules(options.rules ?? DEFAULT_RULES);
    if (options.vault !== undefined && !(options.vault instanceof Vault)) throw new RedactionRuleError('vault must be a Vault');
    this.#vault = options.vault;
  }

  get reversible(): boolean {
    return this.#vault !== undefined;
  }

  redact(text: string): RedactionResult {
    if (typeof text !== 'string') throw new TypeError('redact() takes a string');
    const spans: { type: string; start: number; end: number }[] = [];
    let covered: Uint8Array | undefined;
    for (const rule of this.#rules) {
      const re = rule.re;
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        let start = m.index;
        let value = m[0];
        if (rule.group > 0) {
          const span = m.indices?.[rule.group];
          if (!span) continue;
          start = span[0];
          value = text.slice(span[0], span[1]);
        }
        if (value.length === 0) {
          re.lastIndex = m.index + 1;
          continue;
        }
        let len = value.length;
        if (rule.validate) {
          len = rule.validate(value);
          if (len <= 0) continue;
          if (rule.group === 0 && len < value.length) re.lastIndex = start + len; // rescan what the cut left
        }
        const end = start + len;
        covered ??= new Uint8Array(text.length);
        let free = true;
        for (let i = start; i < end; i++) {
          if (covered[i]) {
            free = false;
            break;
          }
        }
        if (!free) continue;
        covered.fill(1, start, end);
        spans.push({ type: rule.name, start, end });
      }
    }
    if (spans.length === 0) return { text, findings: [] };
    spans.sort((a, b) => a.start - b.start);
    const local = new Map<string, string>();
    const counters = new Map<string, number>();
    const findings: Finding[] = [];
    let out = '';
    let at = 0;
    for (const s of spans) {
      const value = text.slice(s.start, s.end);
      let token: string;
      if (this.#vault) token = this.#vault.seal(s.type, value);
      else {
        const k = `${s.type}\0${value}`;
        token = local.get(k) ?? '';
        if (!token) {
          const n = (counters.get(s.type) ?? 0) + 1;
          counters.set(s.type, n);
          token = `[${s.type}:${n}]`;
          local.set(k, token);
        }
      }
      out += text.slice(at, s.start) + token;
      at = s.end;
      findings.push({ ...s, token });
    }
    out += text.slice(at);
    return { text: out, findings };
  }

  /** Just the redacted text. */
  redactText(text: string): string {
    return this.redact(text).text;
  }

  /** A copy of a JSON-like value with every string redacted (keys are kept). */
  redactValue<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v).text;
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) o[k] = walk(x);
        return o;
      }
      return v;
    };
    return walk(value) as T;
  }

  /** Tokens of the vault replaced by their values; needs a vault (and so its key). */
  reveal(text: string): string {
    if (!this.#vault) throw new RedactionRuleError('redaction without a vault is irreversible');
    return this.#vault.reveal(text);
  }

  /** Whether `text` contains redaction tokens. */
  static hasTokens(text: string): boolean {
    TOKEN_RE.lastIndex = 0;
    const r = TOKEN_RE.test(text);
    TOKEN_RE.lastIndex = 0;
    return r;
  }
}
