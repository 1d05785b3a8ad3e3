import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each use their own database and Redis prefix, so files run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
