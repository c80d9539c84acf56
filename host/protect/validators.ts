/**
 * Checks that turn a pattern match into a finding (or not). Each returns the length of the
 * valid prefix of the match (so an IBAN pattern that swallowed a following word can be cut
 * back to the IBAN), or 0 when the match is not sensitive data after all.
 */

/** Luhn (mod 10) over the digits of `s`. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** ISO 13616 IBAN lengths by country (the SEPA area and common others). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
  GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15,
  PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SE: 24, SI: 19, SK: 24, SM: 27, TN: 24,
  TR: 26, UA: 29, VG: 24, XK: 20,
};

/** ISO 7064 mod 97-10 over an IBAN without spaces: valid when the remainder is 1. */
export function ibanMod97(iban: string): boolean {
  const s = iban.slice(4) + iban.slice(0, 4);
  let r = 0;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c >= 48 && c <= 57) r = (r * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) r = (r * 100 + (c - 55)) % 97;
    else return false;
  }
  return r === 1;
}

export type Validator = (match: string) => number;

/** Card numbers: 13–19 digits (spaces/hyphens allowed between) passing Luhn, not all one digit. */
export const cardValidator: Validator = (m) => {
  const digits = m.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19 || /^(\d)\1+$/.test(digits)) return 0;
  return luhn(digits) ? m.length : 0;
};

/**
 * IBANs: country code, check digits, BBAN; spaces every 4 allowed. The country's length
 * (when known) cuts the match; otherwise the longest prefix of 15–34 characters that passes
 * mod-97 is taken.
 */
export const ibanValidator: Validator = (m) => {
  // Map each alphanumeric character of the compact IBAN to its end offset in `m`.
  const ends: number[] = [];
  let compact = '';
  for (let i = 0; i < m.length; i++) {
    const ch = m[i] as string;
    if (ch === ' ') continue;
    compact += ch;
    ends.push(i + 1);
  }
  const known = IBAN_LENGTHS[compact.slice(0, 2)];
  const lengths = known !== undefined ? [known] : Array.from({ length: 20 }, (_, i) => 34 - i);
  for (const len of lengths) {
    if (len > compact.length) continue;
    if (ibanMod97(compact.slice(0, len))) return ends[len - 1] as number;
  }
  return 0;
};

/** Phones: 7–15 digits in all (E.164's maximum), not a date-shaped or dotted-version-shaped string. */
export const phoneValidator: Validator = (m) => {
  const digits = m.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15 || /^(\d)\1+$/.test(digits)) return 0;
  if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/.test(m.trim()) || /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(m.trim())) return 0;
  return m.length;
};

/** Generic secrets after `password=` and the like: at least one letter and one digit (not a plain word). */
export const mixedValidator: Validator = (m) => (/[A-Za-z]/.test(m) && /\d/.test(m) ? m.length : 0);

export const VALIDATORS = {
  luhn: cardValidator,
  iban: ibanValidator,
  phone: phoneValidator,
  mixed: mixedValidator,
} as const satisfies Record<string, Validator>;
export type ValidatorName = keyof typeof VALIDATORS;
