/**
 * Access control of the memory: one principal (the agent this memory acts for), checked
 * against the grants of host/protect before every account, session or archive operation.
 *
 * - `access.grants` absent: the principal is trusted with everything (a single agent's own
 *   memory); nothing is checked.
 * - `access.grants` present (even `[]`): enforced. Conversation and window operations need
 *   read or write on the account, context sessions on the session (or the whole account),
 *   archives on `access.archiveAccount`. A denial throws AccessDeniedError before anything
 *   runs, so nothing changes.
 * - `access.audit`: 'denials' (default) writes every denial to the hash-chained audit log
 *   `<dir>/audit.log` before throwing; 'all' also every allowed operation and its outcome
 *   (host/protect Guard); 'off' writes nothing.
 */
import { join } from 'node:path';
import { AccessControl, principalSchema, type Grant, type Permission, type Resource, grantSchema } from '../protect/acl.js';
import { FileAppendLog } from '../protect/appendLog.js';
import { AuditLog } from '../protect/audit.js';
import { AccessDeniedError } from '../protect/errors.js';
import { Guard } from '../protect/guard.js';
import type { z } from 'zod';
import type { MemoryConfig } from './config.js';

export class MemoryAccess {
  readonly principal: { readonly id: string; readonly kind: 'user' | 'agent' | 'service' };
  readonly enforced: boolean;
  readonly auditMode: MemoryConfig['access']['audit'];
  readonly archiveAccount: string;
  readonly #acl: AccessControl;
  readonly #audit: AuditLog | undefined;
  readonly #log: FileAppendLog | undefined;
  readonly #guard: Guard | undefined;
  #checks = 0;
  #denials = 0;

  private constructor(config: MemoryConfig['access'], audit: AuditLog | undefined, log: FileAppendLog | undefined) {
    this.principal = principalSchema.parse(config.principal);
    this.enforced = config.grants !== undefined;
    this.auditMode = config.audit;
    this.archiveAccount = config.archiveAccount;
    this.#acl = new AccessControl(config.grants ?? []);
    this.#audit = audit;
    this.#log = log;
    this.#guard = audit && config.audit === 'all' && this.enforced ? new Guard(this.#acl, audit) : undefined;
  }

  static async open(config: MemoryConfig['access'], dir: string): Promise<MemoryAccess> {
    if (config.audit === 'off') return new MemoryAccess(config, undefined, undefined);
    const log = await FileAppendLog.open(join(dir, 'audit.log'));
    try {
      return new MemoryAccess(config, await AuditLog.open(log), log);
    } catch (err) {
      await log.close().catch(() => undefined);
      throw err;
    }
  }

  /** The audit log, when one is kept. */
  get audit(): AuditLog | undefined {
    return this.#audit;
  }

  /** Whether the principal may do `permission` on `resource` (always true when not enforced). */
  can(permission: Permission, resource: Resource): boolean {
    return !this.enforced || this.#acl.can(this.principal, permission, resource);
  }

  /** Checks (and audits as configured), then runs `fn`. */
  async run<T>(permission: Permission, resource: Resource, action: string, fn: () => T | Promise<T>): Promise<T> {
    this.#checks++;
    if (this.#guard) {
      try {
        return await this.#guard.run(this.principal, permission, resource, action, fn);
      } catch (err) {
        if (err instanceof AccessDeniedError) this.#denials++;
        throw err;
      }
    }
    if (this.enforced && !this.#acl.can(this.principal, permission, resource)) {
      this.#denials++;
      if (this.#audit) {
        await this.#audit.append({ principal: this.principal.id, kind: this.principal.kind, action, permission, resource, decision: 'deny' });
      }
      throw new AccessDeniedError(this.principal.id, permission, resource.session === undefined ? `account ${resource.account}` : `session ${resource.account}/${resource.session}`);
    }
    if (this.#audit && this.auditMode === 'all') {
      await this.#audit.append({ principal: this.principal.id, kind: this.principal.kind, action, permission, resource, decision: 'allow' });
    }
    return fn();
  }

  /** Adds a grant; the memory's principal needs admin on the grant's account. */
  grant(grant: z.input<typeof grantSchema>): void {
    this.#acl.grant(this.principal, grant);
  }

  revoke(grant: z.input<typeof grantSchema>): void {
    this.#acl.revoke(this.principal, grant);
  }

  grants(): Grant[] {
    return this.#acl.list();
  }

  stats(): { enforced: boolean; principal: string; audit: string; checks: number; denials: number } {
    return { enforced: this.enforced, principal: this.principal.id, audit: this.auditMode, checks: this.#checks, denials: this.#denials };
  }

  async close(): Promise<void> {
    await this.#log?.close();
  }
}
