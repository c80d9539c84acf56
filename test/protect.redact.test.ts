import { describe, expect, it } from 'vitest';
import { RedactionRuleError } from '../host/protect/errors.js';
import { Redactor } from '../host/protect/redact.js';
import { DEFAULT_RULES } from '../host/protect/rules.js';
import { ibanMod97, luhn } from '../host/protect/validators.js';
import { NEGATIVES, POSITIVES } from './support/contextRedactionCorpus.js';

const redactor = new Redactor();

describe('redaction corpora', () => {
  it.each(POSITIVES.map((p) => [p.type, p.value, p] as const))('finds %s %j', (_t, _v, p) => {
    const r = redactor.redact(p.text);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.type).toBe(p.type);
    expect(p.text.slice(f.start, f.end)).toBe(p.value);
    expect(r.text).toBe(p.text.replace(p.value, `[${p.type}:1]`));
    expect(r.text).not.toContain(p.value);
  });

  it.each(NEGATIVES.map((n) => [n]))('leaves the near miss %j untouched', (n) => {
    const r = redactor.redact(n);
    expect(r.findings).toEqual([]);
    expect(r.text).toBe(n);
  });

  it('the near-miss cards and IBANs really fail their checksums, the positives pass', () => {
    for (const p of POSITIVES.filter((x) => x.type === 'CARD')) expect(luhn(p.value.replace(/\D/g, ''))).toBe(true);
    for (const n of ['4111111111111112', '4242424242424241', '5555555555554445']) expect(luhn(n)).toBe(false);
    for (const p of POSITIVES.filter((x) => x.type === 'IBAN')) expect(ibanMod97(p.value.replace(/ /g, ''))).toBe(true);
    for (const n of ['DE89370400440532013001', 'GB82WEST12345698765433', 'NL91ABNA0417164301']) expect(ibanMod97(n)).toBe(false);
  });
});

describe('Redactor', () => {
  it('redacts every item of a mixed document, numbering distinct values per type and reusing tokens for repeats', () => {
    const doc = POSITIVES.map((p) => p.text).join('\n') + '\nagain: alice@example.com';
    const r = redactor.redact(doc);
    for (const p of POSITIVES) expect(r.text).not.toContain(p.value);
    const emails = r.findings.filter((f) => f.type === 'EMAIL');
    expect(new Set(emails.map((f) => f.token)).size).toBe(POSITIVES.filter((p) => p.type === 'EMAIL').length);
    expect(emails.filter((f) => f.token === '[EMAIL:1]')).toHaveLength(2);
  });

  it('takes rules as data: custom rules, disabled rules, and refuses bad ones', () => {
    const custom = new Redactor({
      rules: [...DEFAULT_RULES.filter((r) => r.name !== 'EMAIL'), { name: 'TICKET', pattern: String.raw`\bJIRA-\d{3,6}\b` }],
    });
    const r = custom.redact('see JIRA-1234 from alice@example.com');
    expect(r.text).toBe('see [TICKET:1] from alice@example.com');
    const off = new Redactor({ rules: DEFAULT_RULES.map((x) => (x.name === 'PHONE' ? { ...x, enabled: false } : x)) });
    expect(off.redact('+1 415 555 2671').findings).toEqual([]);
    expect(() => new Redactor({ rules: [{ name: 'bad name', pattern: 'x' }] })).toThrow(RedactionRuleError);
    expect(() => new Redactor({ rules: [{ name: 'X', pattern: '(' }] })).toThrow(RedactionRuleError);
    expect(() => new Redactor({ rules: [{ name: 'X', pattern: 'a*' }] })).toThrow(RedactionRuleError);
    expect(() => new Redactor({ rules: [{ name: 'X', pattern: 'a' }, { name: 'X', pattern: 'b' }] })).toThrow(RedactionRuleError);
  });

  it('redacts strings inside JSON values and cannot reveal without a vault', () => {
    expect(redactor.redactValue({ a: ['mail alice@example.com'], n: 1, k: { deep: 'card 4242424242424242' } })).toEqual({
      a: ['mail [EMAIL:1]'],
      n: 1,
      k: { deep: 'card [CARD:1]' },
    });
    expect(() => redactor.reveal('[EMAIL:1]')).toThrow(RedactionRuleError);
  });
});
