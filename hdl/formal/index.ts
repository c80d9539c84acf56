/** Formal proofs of the core: see prove.ts. */
export * from './prove.js';
