/**
 * Formal proofs of the core's properties (hdl/core/properties.ts) with Yosys
 * (`@yowasp/yosys`, in-process WebAssembly): `sat -tempinduct -prove-asserts -set-assumes`.
 *
 * One Yosys run reads and prepares the design once, then proves each property on a copy
 * that keeps only that property's assertions (and the helper invariants its induction
 * needs). The content store is flattened to registers (memory_map) so the solver sees
 * every word; the response path is removed first because no property looks at it.
 */
import { runYosys } from '@yowasp/yosys';
import { parseCoreConfig, type CoreConfig } from '../../spec/index.js';
import { CORE_TOP, PROPERTIES, generateCore, proofLabels, type CoreOptions, type PropertyDef } from '../core/index.js';

export type ProofStatus =
  /** Base case and induction step hold: true in every reachable state. */
  | 'proven'
  /** A reachable state violates it: the base case found a counterexample. */
  | 'failed'
  /** Neither, within maxSteps: the induction did not close. */
  | 'unknown';

export interface ProofResult {
  readonly property: string;
  /** (a)..(e) in the issue's list. */
  readonly id: string;
  readonly statement: string;
  readonly status: ProofStatus;
  /** Induction length at which the proof closed, or base-case depth of the counterexample. */
  readonly steps: number | undefined;
  /** Assertions in the proof (the property's own plus its helpers). */
  readonly assertions: number;
  readonly seconds: number;
  /** The config the proof ran on (see proofConfig). */
  readonly config: CoreConfig;
  /** Yosys' sat log for this property. */
  readonly log: string;
}

export interface ProveOptions extends CoreOptions {
  /** Property names to prove (default: all). */
  readonly properties?: readonly string[];
  /** Longest induction / base case tried (default 40). */
  readonly maxSteps?: number;
  /**
   * Largest store capacity proven (default 8): larger stores are proven at this capacity,
   * with quota clamped to it. The windows, weights and every other parameter are kept.
   */
  readonly maxCapacity?: number;
  /** Called with each property's result as soon as it is known. */
  readonly onResult?: (result: ProofResult) => void;
}

export class ProofError extends Error {
  override readonly name = 'ProofError';
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
  }
}

/** The config a proof runs on: the store shrunk to `maxCapacity` entries when larger. */
export function proofConfig(config: CoreConfig, maxCapacity = 8): CoreConfig {
  const c = parseCoreConfig(config);
  const capacity = Math.min(c.capacity, maxCapacity);
  return parseCoreConfig({ ...c, capacity, quota: Math.min(c.quota, capacity) });
}

const MARK = 'janela-prove';

function yosysScript(files: readonly string[], props: readonly PropertyDef[], maxSteps: number): string[] {
  const top = CORE_TOP;
  const prepare = [
    `read_verilog -formal ${files.join(' ')}`,
    `prep -top ${top}`,
    'flatten',
    `hierarchy -top ${top}`,
    // Nothing is proven about the response bytes: drop them and the logic only they use.
    `delete -port ${['rsp_valid', 'rsp_data', 'rsp_last', 'cmd_ready'].map((p) => `${top}/${p}`).join(' ')}`,
    'opt_clean',
    'memory_map',
    'opt -fast',
    'design -save prepared',
  ];
  const perProperty = props.flatMap((p) => {
    const keep = proofLabels(p)
      .map((l) => `${top}/n:${l}_* %d`)
      .join(' ');
    return [
      'design -load prepared',
      // Every other assertion goes; assumptions (the first-cycle reset) stay.
      `chformal -assert -remove ${top}/t:$check ${keep}`,
      'opt_clean',
      'chformal -lower',
      'async2sync',
      'dffunmap',
      `log ${MARK}-begin ${p.name}`,
      'select -count t:$assert',
      `sat -tempinduct -prove-asserts -set-assumes -maxsteps ${maxSteps}`,
      `log ${MARK}-end ${p.name}`,
    ];
  });
  return [...prepare, ...perProperty];
}

function parseStatus(log: string): { status: ProofStatus; steps: number | undefined } {
  const steps = [...log.matchAll(/\[(?:base case|induction step) (\d+)\]/g)].map((m) => Number(m[1]));
  const last = steps.length ? Math.max(...steps) : undefined;
  if (/Induction step proven: SUCCESS!/.test(log)) return { status: 'proven', steps: last };
  if (/model found for base case: FAIL!/.test(log)) return { status: 'failed', steps: last };
  return { status: 'unknown', steps: last };
}

/** Proves each property of the core generated for `config`; results in PROPERTIES order. */
export async function prove(config: CoreConfig, options: ProveOptions = {}): Promise<ProofResult[]> {
  const cfg = proofConfig(config, options.maxCapacity);
  const wanted = options.properties ?? PROPERTIES.map((p) => p.name);
  for (const name of wanted) {
    if (!PROPERTIES.some((p) => p.name === name)) {
      throw new ProofError(`unknown property ${name} (known: ${PROPERTIES.map((p) => p.name).join(', ')})`, '');
    }
  }
  const props = PROPERTIES.filter((p) => wanted.includes(p.name));
  const files = generateCore(cfg, options.mutation ? { mutation: options.mutation } : {});
  const script = yosysScript(
    files.map((f) => f.name),
    props,
    options.maxSteps ?? 40,
  );

  let transcript = '';
  let pending = '';
  const results: ProofResult[] = [];
  const decoder = new TextDecoder();
  // Yosys writes its log as it goes: each property's section is cut out between the markers
  // and reported at once, with the time it took.
  let current: { name: string; start: number } | undefined;
  const onLine = (line: string) => {
    const mark = new RegExp(`^${MARK}-(begin|end) (\\S+)`).exec(line);
    if (mark?.[1] === 'begin') {
      current = { name: mark[2]!, start: performance.now() };
      pending = '';
    } else if (mark?.[1] === 'end' && current) {
      const p = props.find((q) => q.name === current!.name)!;
      const count = Number(/Selected (\d+) objects/.exec(pending)?.[1] ?? /(\d+) objects/.exec(pending)?.[1] ?? 0);
      const result: ProofResult = {
        property: p.name,
        id: p.id,
        statement: p.statement,
        ...parseStatus(pending),
        assertions: count,
        seconds: (performance.now() - current.start) / 1000,
        config: cfg,
        log: pending,
      };
      results.push(result);
      options.onResult?.(result);
      current = undefined;
    } else if (current) pending += `${line}\n`;
  };
  let partial = '';
  const onOutput = (bytes: Uint8Array | null) => {
    if (!bytes) return;
    const text = partial + decoder.decode(bytes, { stream: true });
    transcript = (transcript + text).slice(-200_000);
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
  };

  try {
    await runYosys(['-p', script.join('; ')], Object.fromEntries(files.map((f) => [f.name, f.text])), {
      stdout: onOutput,
      stderr: onOutput,
    });
  } catch (err) {
    throw new ProofError(`yosys failed: ${(err as Error).message}\n${transcript.slice(-4000)}`, transcript);
  }
  if (partial) onLine(partial);
  for (const r of results) {
    if (r.assertions === 0) throw new ProofError(`no assertions selected for ${r.property}`, r.log);
  }
  if (results.length !== props.length) throw new ProofError('yosys ended before every property was proven', transcript);
  return results;
}
