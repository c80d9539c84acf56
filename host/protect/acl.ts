/**
 * Access control: every operation runs as a principal, and is denied unless a grant allows it.
 *
 * Permissions are ordered: admin ⊇ write ⊇ read. A grant gives a principal permissions on a
 * whole account (`session` absent) or on one session of it. Accounts are disjoint: nothing
 * granted on one account reaches another. Changing grants needs admin on the account
 * (the grants passed to the constructor are the bootstrap).
 */
import { z } from 'zod';
import { AccessDeniedError } from './errors.js';

export const PERMISSIONS = ['read', 'write', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];
const RANK: Record<Permission, number> = { read: 1, write: 2, admin: 3 };

/** Account ids: no '.', so `${account}.${session}` is unambiguous. */
export const accountIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,48}$/, 'account ids are 1–48 of [A-Za-z0-9_-]');
export const resourceSessionSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,79}$/, 'session ids are 1–79 of [A-Za-z0-9_.-]')
  .refine((s) => s !== '.' && s !== '..', 'session id may not be . or ..');

export const principalSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.@:-]{1,128}$/),
    /** What kind of caller, for the audit log. */
    kind: z.enum(['user', 'agent', 'service']).default('user'),
  })
  .strict();
export type Principal = z.input<typeof principalSchema>;

export const resourceSchema = z.object({ account: accountIdSchema, session: resourceSessionSchema.optional() }).strict();
export type Resource = z.output<typeof resourceSchema>;

export const grantSchema = z
  .object({
    principal: principalSchema.shape.id,
    account: accountIdSchema,
    session: resourceSessionSchema.optional(),
    permission: z.enum(PERMISSIONS),
  })
  .strict();
export type Grant = z.output<typeof grantSchema>;

export function describeResource(r: Resource): string {
  return r.session === undefined ? `account ${r.account}` : `session ${r.account}/${r.session}`;
}

export class AccessControl {
  /** principal → account → (session | '' for the whole account) → highest rank. */
  readonly #grants = new Map<string, Map<string, Map<string, number>>>();

  constructor(bootstrap: readonly z.input<typeof grantSchema>[] = []) {
    for (const g of z.array(grantSchema).parse(bootstrap)) this.#add(g);
  }

  /** Whether `principal` holds `permission` (or more) on `resource`. Invalid input is a denial. */
  can(principal: Principal, permission: Permission, resource: Resource): boolean {
    const p = principalSchema.safeParse(principal);
    const r = resourceSchema.safeParse(resource);
    if (!p.success || !r.success || !(PERMISSIONS as readonly string[]).includes(permission)) return false;
    const acct = this.#grants.get(p.data.id)?.get(r.data.account);
    if (!acct) return false;
    const need = RANK[permission];
    if ((acct.get('') ?? 0) >= need) return true;
    return r.data.session !== undefined && (acct.get(r.data.session) ?? 0) >= need;
  }

  /** Throws AccessDeniedError unless `can`. */
  check(principal: Principal, permission: Permission, resource: Resource): void {
    if (!this.can(principal, permission, resource)) {
      throw new AccessDeniedError(String((principal as { id?: unknown })?.id), permission, describeResource(resource));
    }
  }

  /** Adds a grant; `by` needs admin on the grant's account. */
  grant(by: Principal, grant: z.input<typeof grantSchema>): void {
    const g = grantSchema.parse(grant);
    this.check(by, 'admin', { account: g.account });
    this.#add(g);
  }

  /**
   * Takes `permission` and everything above it away on that scope (revoking write from an
   * admin leaves read); `by` needs admin on the account.
   */
  revoke(by: Principal, grant: z.input<typeof grantSchema>): void {
    const g = grantSchema.parse(grant);
    this.check(by, 'admin', { account: g.account });
    const scope = this.#grants.get(g.principal)?.get(g.account);
    const key = g.session ?? '';
    if (!scope?.has(key)) return;
    const left = Math.min(scope.get(key) ?? 0, RANK[g.permission] - 1);
    if (left > 0) scope.set(key, left);
    else scope.delete(key);
  }

  /** Every grant, for inspection. */
  list(): Grant[] {
    const out: Grant[] = [];
    for (const [principal, accts] of this.#grants) {
      for (const [account, scopes] of accts) {
        for (const [session, rank] of scopes) {
          const permission = PERMISSIONS[rank - 1] as Permission;
          out.push({ principal, account, ...(session ? { session } : {}), permission });
        }
      }
    }
    return out;
  }

  #add(g: Grant): void {
    let accts = this.#grants.get(g.principal);
    if (!accts) this.#grants.set(g.principal, (accts = new Map()));
    let scopes = accts.get(g.account);
    if (!scopes) accts.set(g.account, (scopes = new Map()));
    const key = g.session ?? '';
    scopes.set(key, Math.max(scopes.get(key) ?? 0, RANK[g.permission]));
  }
}
