import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Most files are wire tests that wait: on servers and client processes, on TTLs and
    // delays. Run more files at once than there are cores (vitest's default, one less than
    // the cores, runs one file at a time on 2).
    maxWorkers: Math.max(4, availableParallelism()),
    // Wire tests start real servers and client processes; give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
