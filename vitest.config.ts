import { defineConfig } from 'vitest/config';

// Forks, never threads: the Temporal worker's native bridge and LanceDB's native module
// are not safe to share across worker threads.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration files share one Temporal server and one PostgreSQL; one file at a time keeps a
    // 2-core machine honest (unit files are fast enough not to miss the parallelism).
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          // One Temporal dev server and one PostgreSQL for the whole run, started here if the
          // environment does not point at running ones (see tests/support/global-setup.ts).
          globalSetup: ['tests/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        // buildDataset's decisions with fake activities, on a Temporal dev server each file starts for itself:
        // tests/workflows/environment.ts.
        test: { name: 'workflows', include: ['tests/workflows/**/*.test.ts'], globalSetup: ['tests/workflows/global-setup.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'chaos',
          include: ['tests/chaos/**/*.test.ts'],
          // The chaos suite starts, kills and restarts its own servers and workers (tests/chaos/harness.ts).
          testTimeout: 900_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
