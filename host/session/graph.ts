/**
 * A declared state graph: named states, each with a zod schema for its data, and the
 * allowed transitions between them. Staying in the same state (a data-only update) is
 * always allowed; moving to another state needs an edge.
 */
import { z } from 'zod';
import { StateTransitionError } from './errors.js';
import { toJson, type JsonObject } from './merge.js';

export type DataSchema = z.ZodType<Record<string, unknown>>;

export interface StateGraphDefinition {
  readonly initial: string;
  /** Data the initial state starts with (must satisfy its schema). */
  readonly initialData: JsonObject;
  readonly states: Readonly<Record<string, DataSchema>>;
  /** from → states reachable in one step. States without an entry are terminal. */
  readonly transitions: Readonly<Record<string, readonly string[]>>;
}

const STATE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export class StateGraph {
  readonly initial: string;
  readonly initialData: JsonObject;
  readonly #states: Map<string, DataSchema>;
  readonly #edges: Map<string, ReadonlySet<string>>;

  constructor(def: StateGraphDefinition) {
    const names = Object.keys(def.states);
    for (const n of names) if (!STATE_NAME.test(n)) throw new TypeError(`state name '${n}' must match ${STATE_NAME}`);
    this.#states = new Map(Object.entries(def.states));
    if (!this.#states.has(def.initial)) throw new TypeError(`initial state '${def.initial}' is not declared`);
    this.#edges = new Map();
    for (const [from, tos] of Object.entries(def.transitions)) {
      if (!this.#states.has(from)) throw new TypeError(`transition from undeclared state '${from}'`);
      for (const to of tos) if (!this.#states.has(to)) throw new TypeError(`transition ${from} → undeclared state '${to}'`);
      this.#edges.set(from, new Set(tos));
    }
    this.initial = def.initial;
    this.initialData = toJson(def.initialData) as JsonObject;
    const r = this.#states.get(def.initial)!.safeParse(this.initialData);
    if (!r.success) throw new TypeError(`initialData does not satisfy state '${def.initial}': ${r.error.message}`);
  }

  get states(): string[] {
    return [...this.#states.keys()];
  }

  has(state: string): boolean {
    return this.#states.has(state);
  }

  /** States reachable from `from` in one step (itself excluded). */
  next(from: string): string[] {
    return [...(this.#edges.get(from) ?? [])];
  }

  allows(from: string, to: string): boolean {
    return from === to || (this.#edges.get(from)?.has(to) ?? false);
  }

  /** Throws StateTransitionError unless `from → to` is declared and `data` satisfies `to`. */
  check(from: string, to: string, data: unknown, sessionId?: string): void {
    if (!this.#states.has(to)) throw new StateTransitionError('unknown-state', `state '${to}' is not declared`, sessionId, from, to);
    if (!this.allows(from, to)) {
      throw new StateTransitionError('not-allowed', `transition ${from} → ${to} is not declared (allowed: ${this.next(from).join(', ') || 'none'})`, sessionId, from, to);
    }
    const r = this.#states.get(to)!.safeParse(data);
    if (!r.success) {
      const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new StateTransitionError('invalid-data', `data does not satisfy state '${to}': ${issues}`, sessionId, from, to);
    }
  }

  /** Whether a stored state's data is valid for that state (recovery). */
  valid(state: string, data: unknown): boolean {
    return this.#states.get(state)?.safeParse(data).success ?? false;
  }
}

const json: z.ZodType<unknown> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]));

const conversationBase = z.object({
  /** Turns completed. */
  turn: z.number().int().min(0),
  topic: z.string().max(500).optional(),
  /** Free-form variables of the agent, JSON only. */
  vars: z.record(z.string(), json),
});

/**
 * The default conversation flow:
 *
 *   open → active ⇄ awaiting_tool
 *            ↓ ↑
 *         suspended          (any of open/active/awaiting_tool/suspended) → closed
 *
 * `awaiting_tool` requires `pendingTool`; every other state forbids it (clear it with
 * `{ pendingTool: { $delete: true } }` when the tool returns). `closed` is terminal and
 * requires `closedReason`.
 */
export function conversationGraph(): StateGraph {
  const pendingTool = z.object({ name: z.string().min(1).max(128), callId: z.string().min(1).max(128) }).strict();
  const noTool = conversationBase.extend({ pendingTool: z.undefined().optional() }).strict();
  return new StateGraph({
    initial: 'open',
    initialData: { turn: 0, vars: {} },
    states: {
      open: noTool,
      active: noTool,
      awaiting_tool: conversationBase.extend({ pendingTool }).strict(),
      suspended: noTool,
      closed: conversationBase.extend({ closedReason: z.string().min(1).max(500), pendingTool: z.undefined().optional() }).strict(),
    },
    transitions: {
      open: ['active', 'closed'],
      active: ['awaiting_tool', 'suspended', 'closed'],
      awaiting_tool: ['active', 'closed'],
      suspended: ['active', 'closed'],
    },
  });
}
