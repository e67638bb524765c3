import { defineConfig } from 'vitest/config';

/** Unit and integration tests: real sockets on loopback, real ffmpeg, no browser. */
export default defineConfig({
  test: {
    include: ['codec/**/*.test.ts', 'protocol/**/*.test.ts', 'server/**/*.test.ts', 'web/**/*.test.ts', 'web-node/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['**/*.e2e.test.ts', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
