import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Verilator builds and pty simulations are CPU-heavy; two workers fit the 2-core machines.
    maxWorkers: 2,
  },
});
