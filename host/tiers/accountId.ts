/**
 * Account ids name a directory (`account_{id}`) and a Redis hash tag (`{id}`), so they are
 * restricted to what cannot escape either: lower-case letters, digits, '_' and '-', starting
 * with a letter or digit, at most 64 characters. No '.', '/', '\\', NUL, spaces or upper case
 * (upper case is refused because case-insensitive file systems would merge "Bob" and "bob",
 * i.e. leak one account into another). Map external ids (emails, UUIDs with upper case) to
 * this alphabet before use, e.g. with a hash.
 */
import { z } from 'zod';
import { AccountIdError } from './errors.js';

export const ACCOUNT_ID_MAX = 64;
export const ACCOUNT_ID = /^[a-z0-9][a-z0-9_-]*$/;

export const accountIdSchema = z
  .string()
  .min(1)
  .max(ACCOUNT_ID_MAX)
  .regex(ACCOUNT_ID, "use lower-case letters, digits, '_' and '-', starting with a letter or digit");

/** Returns the id when valid; throws AccountIdError otherwise. */
export function checkAccountId(id: unknown): string {
  if (typeof id !== 'string') throw new AccountIdError(id, 'must be a string');
  if (id.length === 0) throw new AccountIdError(id, 'must not be empty');
  if (id.length > ACCOUNT_ID_MAX) throw new AccountIdError(id, `longer than ${ACCOUNT_ID_MAX} characters`);
  if (!ACCOUNT_ID.test(id)) {
    throw new AccountIdError(id, "use lower-case letters, digits, '_' and '-', starting with a letter or digit");
  }
  return id;
}

/** The directory name of an account under a file store's root. */
export function accountDirName(id: string): string {
  return `account_${checkAccountId(id)}`;
}

/** The account id of a directory name, or undefined when the name is not an account directory. */
export function accountIdOfDir(name: string): string | undefined {
  if (!name.startsWith('account_')) return undefined;
  const id = name.slice('account_'.length);
  return id.length > 0 && id.length <= ACCOUNT_ID_MAX && ACCOUNT_ID.test(id) ? id : undefined;
}
