/**
 * The live state of an account store's components, as its status() reports them: each starts
 * 'initializing', becomes 'active' once the store has opened, and is 'failing' (with the
 * issue) after a failure until it recovers or is set again.
 */
import { COMPONENTS, type ComponentName, type ComponentState } from './types.js';

export interface ComponentRuntime {
  status: ComponentState;
  lastUpdate: number | null;
  issue?: string;
}

export class ComponentStates {
  readonly #byName = new Map<ComponentName, ComponentRuntime>(COMPONENTS.map((c) => [c, { status: 'initializing', lastUpdate: null }]));

  get(c: ComponentName): ComponentRuntime {
    return this.#byName.get(c)!;
  }

  /** The store has opened: what is still initializing is active. */
  opened(): void {
    for (const rt of this.#byName.values()) if (rt.status === 'initializing') rt.status = 'active';
  }

  fail(c: ComponentName, issue: string): void {
    const rt = this.get(c);
    rt.status = 'failing';
    rt.issue = issue;
  }

  /** Sets a component's state; without an issue the old one is cleared. */
  set(c: ComponentName, status: ComponentState, issue?: string): void {
    const rt = this.get(c);
    rt.status = status;
    if (issue) rt.issue = issue;
    else delete rt.issue;
  }
}
