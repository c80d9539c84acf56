/**
 * Guard: every memory operation runs as a principal. The decision is written to the audit
 * log before the operation runs (a denial is recorded, then AccessDeniedError thrown); when
 * `recordOutcome` is on, a second record says whether the operation succeeded.
 *
 * ProtectedMemory wires the guard in front of a ContextTracker and a StateManager. A
 * session is named by (account, session); the components see `${account}.${session}` —
 * account ids contain no '.', so sessions of different accounts can never collide.
 */
import type { z } from 'zod';
import type { AppendResult, WindowView, ContextTracker, openOptionsSchema } from '../context/tracker.js';
import type { messageSchema } from '../context/messages.js';
import type { StateManager, StateRecord, StateUpdate } from '../session/stateManager.js';
import { AccessControl, describeResource, principalSchema, resourceSchema, type Permission, type Principal, type Resource } from './acl.js';
import type { AuditLog } from './audit.js';
import { AccessDeniedError } from './errors.js';

export interface GuardOptions {
  /** Also record the outcome of allowed operations (default true). */
  recordOutcome?: boolean;
}

export class Guard {
  readonly #recordOutcome: boolean;

  constructor(
    readonly acl: AccessControl,
    readonly audit: AuditLog,
    options: GuardOptions = {},
  ) {
    this.#recordOutcome = options.recordOutcome ?? true;
  }

  /** Checks, audits, runs. Invalid principals or resources are denied (and audited as such). */
  async run<T>(principal: Principal, permission: Permission, resource: Resource, action: string, fn: () => T | Promise<T>): Promise<T> {
    const p = principalSchema.safeParse(principal);
    const r = resourceSchema.safeParse(resource);
    const who = p.success ? p.data.id : String((principal as { id?: unknown })?.id ?? '?').slice(0, 128);
    const kind = p.success ? p.data.kind : 'invalid';
    const res = r.success ? r.data : { account: String((resource as { account?: unknown })?.account ?? '?').slice(0, 64) };
    const allowed = p.success && r.success && this.acl.can(p.data, permission, r.data);
    await this.audit.append({ principal: who, kind, action, permission, resource: res, decision: allowed ? 'allow' : 'deny' });
    if (!allowed) throw new AccessDeniedError(who, permission, r.success ? describeResource(r.data) : 'an invalid resource');
    try {
      const out = await fn();
      if (this.#recordOutcome) await this.audit.append({ principal: who, kind, action, permission, resource: res, decision: 'allow', outcome: 'ok' });
      return out;
    } catch (err) {
      if (this.#recordOutcome) {
        await this.audit.append({
          principal: who,
          kind,
          action,
          permission,
          resource: res,
          decision: 'allow',
          outcome: 'error',
          error: String((err as Error)?.name ?? 'Error').slice(0, 500),
        });
      }
      throw err;
    }
  }
}

export interface SessionRef {
  readonly account: string;
  readonly session: string;
}

/** The id the components use for a session of an account. */
export function scopedId(ref: SessionRef): string {
  const r = resourceSchema.parse(ref);
  return `${r.account}.${r.session}`;
}

export class ProtectedMemory {
  constructor(
    readonly guard: Guard,
    readonly tracker: ContextTracker,
    readonly states: StateManager,
  ) {}

  open(principal: Principal, ref: SessionRef, options?: z.input<typeof openOptionsSchema>) {
    return this.guard.run(principal, 'write', ref, 'context.open', () => this.tracker.open(scopedId(ref), options));
  }

  append(principal: Principal, ref: SessionRef, message: z.input<typeof messageSchema>): Promise<AppendResult> {
    return this.guard.run(principal, 'write', ref, 'context.append', () => this.tracker.append(scopedId(ref), message));
  }

  window(principal: Principal, ref: SessionRef): Promise<WindowView> {
    return this.guard.run(principal, 'read', ref, 'context.window', () => this.tracker.window(scopedId(ref)));
  }

  closeContext(principal: Principal, ref: SessionRef): Promise<boolean> {
    return this.guard.run(principal, 'write', ref, 'context.close', () => this.tracker.close(scopedId(ref)));
  }

  getState(principal: Principal, ref: SessionRef): Promise<StateRecord | undefined> {
    return this.guard.run(principal, 'read', ref, 'state.get', () => this.states.get(scopedId(ref)));
  }

  stateHistory(principal: Principal, ref: SessionRef): Promise<readonly StateRecord[]> {
    return this.guard.run(principal, 'read', ref, 'state.history', () => this.states.history(scopedId(ref)));
  }

  createState(principal: Principal, ref: SessionRef, patch?: Record<string, unknown>): Promise<StateRecord> {
    return this.guard.run(principal, 'write', ref, 'state.create', () => this.states.create(scopedId(ref), patch, principalSchema.parse(principal).id));
  }

  updateState(principal: Principal, ref: SessionRef, update: StateUpdate): Promise<StateRecord> {
    return this.guard.run(principal, 'write', ref, 'state.update', () =>
      this.states.update(scopedId(ref), { ...update, by: principalSchema.parse(principal).id }),
    );
  }

  removeState(principal: Principal, ref: SessionRef): Promise<void> {
    return this.guard.run(principal, 'admin', ref, 'state.remove', () => this.states.remove(scopedId(ref)));
  }
}
