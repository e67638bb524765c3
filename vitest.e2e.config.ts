import { defineConfig } from 'vitest/config';

/** Real-browser tests: playwright-core driving the system Chromium with its fake camera. */
export default defineConfig({
  test: {
    include: ['**/*.e2e.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One Chromium at a time: the machine has 2 cores and the tests measure frame flow.
    fileParallelism: false,
  },
});
