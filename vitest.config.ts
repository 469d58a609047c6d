import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and end-to-end tests spawn git, the CLI and the daemon; two cores run two files at once.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
