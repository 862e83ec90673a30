import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/node/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 120_000,
    // The default output, then one `node: N passed, N failed` line (scripts/test.mjs reads it).
    reporters: ['default', './test/node/summary-reporter.ts'],
  },
});
