import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    // Server-backed tests share one Temporal dev server; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/harness/summary-reporter.ts'],
    // The local stack accepts any credentials; the SDK still insists on having some.
    env: { AWS_ACCESS_KEY_ID: 'ssmflow-local', AWS_SECRET_ACCESS_KEY: 'ssmflow-local', AWS_REGION: 'us-east-1' },
  },
});
