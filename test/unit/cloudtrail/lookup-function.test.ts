import { describe, expect, it } from 'vitest';
import { controlPlaneTrail } from '../../../lambda/functions/lookup.js';
import type { FunctionConfig } from '../../../lambda/functions/runtime.js';
import { FUNCTIONS } from '../../../lambda/manifest/functions.js';
import { withDefaults } from '../../../lambda/manifest/settings.js';

const ARN = 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/audit';
const config = (values: Partial<FunctionConfig<'lookup'>>): FunctionConfig<'lookup'> => ({
  ...withDefaults(FUNCTIONS.lookup.settings, { region: 'eu-west-1', tableName: 'events', tokenSecret: 's' }),
  ...values,
});

describe('controlPlaneTrail', () => {
  it('takes the name, ARN, digests and selectors from the settings, integrity on with a ledger', () => {
    // Act
    const trail = controlPlaneTrail(
      config({
        trailName: 'audit',
        trailArn: ARN,
        digestBucketName: 'digests',
        digestKeyPrefix: 'p',
        ledgerTableName: 'ledger',
        selectors: { management: { read: false } },
      }),
    );

    // Assess
    expect(trail).toEqual({
      name: 'audit',
      arn: ARN,
      homeRegion: 'eu-west-1',
      selectors: { management: { read: false } },
      insightTypes: ['ApiCallRateInsight', 'ApiErrorRateInsight'],
      digests: { bucketName: 'digests', keyPrefix: 'p' },
    });
  });

  it('reports no insight types when the insights setting is off', () => {
    // Act
    const trail = controlPlaneTrail(config({ insights: 'off' }));

    // Assess
    expect(trail.insightTypes).toEqual([]);
  });

  it('refuses selectors the ingest function would refuse, naming the variable', () => {
    // Act
    const build = () => controlPlaneTrail(config({ selectors: { management: { read: 'no' } } }));

    // Assess
    expect(build).toThrow(
      'OpenTrail configuration is invalid: OPENTRAIL_SELECTORS: management.read must be true or false',
    );
  });

  it('is the default trail, ARN left to the API account, integrity off, without those settings', () => {
    // Act
    const trail = controlPlaneTrail(config({ digestBucketName: 'digests' }));

    // Assess
    expect(trail).toEqual({
      name: 'opentrail',
      homeRegion: 'eu-west-1',
      insightTypes: ['ApiCallRateInsight', 'ApiErrorRateInsight'],
    });
  });
});
