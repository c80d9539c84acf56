/** Every benchmark suite, loaded on demand; `janela bench all` runs them in this order. */
import type { BenchSuite } from './types.js';

export const SUITES: Record<string, () => Promise<{ run: BenchSuite }>> = {
  core: () => import('./core.js'),
  link: () => import('./link.js'),
  build: () => import('./build.js'),
  cache: () => import('./cache.js'),
  tiers: () => import('./tiers.js'),
  archive: () => import('./archive.js'),
  soak: () => import('./soak.js'),
  context: () => import('./context.js'),
};
