import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenTrailStack } from '../../lib/opentrail-stack.js';
import { createTestApp, TEST_ENV, unacknowledgedNagFindings } from './cdk-test-app.js';

describe('Integrity', () => {
  const { app, cleanup } = createTestApp();
  const stack = new OpenTrailStack(app, 'Integrity', { env: TEST_ENV, console: false });
  afterAll(() => {
    cleanup();
    CloudAssembly.cleanupTemporaryDirectories?.();
  });

  it('reports no unacknowledged nag finding', () => {
    expect(unacknowledgedNagFindings(stack)).toEqual([]);
  });
});
