import { defineConfig } from 'vitest/config'

// Two projects: `unit` needs nothing but Node; `integration` (files named *.int.test.ts) gets one real Kafka
// broker for the whole run from the global setup, and each test makes its own topics and group ids.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
          setupFiles: ['test/setup/kafkajsWorkarounds.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          globalSetup: ['test/setup/kafkaGlobalSetup.ts'],
          setupFiles: ['test/setup/kafkajsWorkarounds.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // One broker on a 2-core machine: files run one at a time so timings stay honest.
          fileParallelism: false,
        },
      },
    ],
  },
})
