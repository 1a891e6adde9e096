import { defineConfig } from 'vitest/config';

/** real processes, real data sets, a full disk: minutes, not seconds */
const slow = [
  'tests/runner/**/*.test.ts',
  'tests/report/**/*.test.ts',
  'tests/cli/**/*.test.ts',
  'tests/worker/**/*.test.ts',
  'tests/transport/**/*.test.ts',
  'tests/engine/data/mnist.test.ts',
  'tests/engine/data/fashion-mnist.test.ts',
  'tests/engine/diagnostics/noise-scale-engine.test.ts',
];
/** a real Chromium or the built Electron main */
const e2e = ['tests/e2e/**/*.test.ts', 'tests/electron/**/*.test.ts'];

export default defineConfig({
  test: {
    // tfjs backends are process-global; isolate files in forks, two at a time (2 cores)
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // `vitest run` (npm test) runs every project; npm run test:unit|test:slow|test:e2e one of them
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/**/*.test.ts'], exclude: [...slow, ...e2e] } },
      { extends: true, test: { name: 'slow', include: slow } },
      { extends: true, test: { name: 'e2e', include: e2e } },
    ],
  },
});
