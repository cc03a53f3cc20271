import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Most test files spend their time waiting on Dovecot, PostgreSQL, a daemon's start-up or an
    // SMTP peer, not on the CPU: one more file than cores keeps both cores busy (vitest's default
    // of cores - 1 ran the suite one file at a time on a 2-core CI machine: 18 minutes).
    // MAILROOM_TEST_WORKERS overrides it.
    maxWorkers: Number(process.env.MAILROOM_TEST_WORKERS) || Math.max(3, availableParallelism() + 1),
    // Integration tests wait on real servers; they assert outcomes, never durations.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]],
  },
});
