import { defineConfig } from 'vitest/config';

// One project per kind of test (STYLE.md): unit has no network, infra synthesizes the stack, integration talks
// to moto, e2e drives local mode as a user would.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Silent logs and metrics (Powertools would print an EMF document per put); metrics tests enable their own.
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
        },
      },
      {
        // Property-based tests (fast-check): thousands of generated hostile inputs per property, no network.
        test: {
          name: 'property',
          include: ['test/property/**/*.test.ts'],
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/moto-global-setup.ts'],
          setupFiles: ['test/support/moto-reset.ts'],
          // One shared moto server, reset by each file: files must not run at the same time.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Deploys the synthesized stack to MiniStack with cdklocal (docs/deploy.md); `npm run test:deploy` runs it
        // alone. The hook covers a first run that installs requirements.txt into .venv, then synth and deploy.
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
