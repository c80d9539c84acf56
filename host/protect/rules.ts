/**
 * Redaction rules as data: a name (the token's type), a regular expression, the capture
 * group to replace (0 = the whole match) and an optional named validator. Rules earlier in
 * the list win where matches overlap. Validate custom rule sets with `parseRules`.
 */
import { z } from 'zod';
import { RedactionRuleError } from './errors.js';
import { VALIDATORS, type Validator } from './validators.js';

export const ruleSchema = z
  .object({
    /** Token type, e.g. EMAIL → `[EMAIL:1]`. */
    name: z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/),
    /** JavaScript regular expression source. */
    pattern: z.string().min(1).max(4000),
    /** Flags among i, m, s, u ('g' is always added). */
    flags: z.string().regex(/^[imsu]*$/).default(''),
    /** Capture group that holds the sensitive part; 0 = whole match. */
    group: z.number().int().min(0).max(9).default(0),
    validate: z.enum(Object.keys(VALIDATORS) as [keyof typeof VALIDATORS, ...(keyof typeof VALIDATORS)[]]).optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export type RuleInput = z.input<typeof ruleSchema>;
export type Rule = z.output<typeof ruleSchema>;

export interface CompiledRule {
  readonly name: string;
  readonly re: RegExp;
  readonly group: number;
  readonly validate: Validator | undefined;
}

/** The default rule set, in priority order. */
export const DEFAULT_RULES: readonly RuleInput[] = [
  {
    name: 'PRIVATE_KEY',
    pattern: String.raw`-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?-----END \1-----`,
  },
  { name: 'BEARER', pattern: String.raw`\bBearer\s+([A-Za-z0-9\-._~+/]{16,}=*)`, flags: 'i', group: 1 },
  { name: 'JWT', pattern: String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}` },
  {
    name: 'API_KEY',
    pattern:
      String.raw`(?<![A-Za-z0-9_-])(?:sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|(?:AKIA|ASIA)[A-Z0-9]{16}|AIza[0-9A-Za-z_-]{35}|xox[abposr]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_-])`,
  },
  {
    name: 'SECRET',
    pattern: String.raw`\b(?:api[_-]?key|secret|token|passw(?:or)?d|pwd|access[_-]?key|client[_-]?secret)\b["']?\s*[:=]\s*["']?([^\s"',;]{8,})`,
    flags: 'i',
    group: 1,
    validate: 'mixed',
  },
  {
    name: 'EMAIL',
    pattern: String.raw`(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
  },
  { name: 'IBAN', pattern: String.raw`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`, validate: 'iban' },
  { name: 'CARD', pattern: String.raw`(?<![\d.-])\d(?:[ -]?\d){12,18}(?![\d-]|\.\d)`, validate: 'luhn' },
  {
    name: 'PHONE',
    pattern: String.raw`(?<![\w+.]|\d[ -])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,4}|(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}|0[1-9]\d{0,3}[ -]\d{3,4}[ -]?\d{3,4})(?![\w. -]?\d)(?!\w)`,
    validate: 'phone',
  },
];

/** Validates and compiles a rule set (throws RedactionRuleError naming the bad rule). */
export function parseRules(input: readonly RuleInput[]): CompiledRule[] {
  const r = z.array(ruleSchema).max(200).safeParse(input);
  if (!r.success) {
    throw new RedactionRuleError(`invalid redaction rules: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const names = new Set<string>();
  const out: CompiledRule[] = [];
  for (const rule of r.data) {
    if (names.has(rule.name)) throw new RedactionRuleError(`duplicate redaction rule '${rule.name}'`);
    names.add(rule.name);
    if (!rule.enabled) continue;
    let re: RegExp;
    try {
      re = new RegExp(rule.pattern, `${rule.flags}g${rule.group > 0 ? 'd' : ''}`);
    } catch (err) {
      throw new RedactionRuleError(`rule '${rule.name}': ${(err as Error).message}`);
    }
    if (re.test('')) throw new RedactionRuleError(`rule '${rule.name}' matches the empty string`);
    re.lastIndex = 0;
    out.push({ name: rule.name, re, group: rule.group, validate: rule.validate ? VALIDATORS[rule.validate] : undefined });
  }
  return out;
}
