/**
 * Build id: a 32-bit FNV-1a hash of the generator version and the canonical config.
 * The generator bakes it into INFO; the host recomputes it to check that the device it
 * talks to was built from the config it expects.
 */
import type { CoreConfig } from './params.js';
import { PROTOCOL_VERSION } from './protocol.js';

/** Bump when the generated hardware changes behaviour or layout for the same config. */
export const GENERATOR_VERSION = '0.2.0';

/** JSON with keys sorted at every level, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function buildId(config: CoreConfig): number {
  return fnv1a32(canonicalJson({ generator: GENERATOR_VERSION, protocol: PROTOCOL_VERSION, config }));
}

/** Hex form used in file and cache names. */
export function configHash(config: CoreConfig): string {
  return buildId(config).toString(16).padStart(8, '0');
}
