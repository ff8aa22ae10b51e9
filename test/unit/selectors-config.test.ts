import { describe, expect, it } from 'vitest';
import { REDACTION_MASK } from '../../lambda/core/redaction.js';
import { ingestPolicy } from '../../lambda/functions/ingest.js';
import { FUNCTIONS } from '../../lambda/manifest/functions.js';
import { readSettings } from '../../lambda/manifest/settings.js';
import { sampleRecord } from '../fixtures/events.js';

const record = sampleRecord;

/** The ingest function's policy as its cold start builds it from the environment. */
const policyFrom = (env: Record<string, string | undefined>) => {
  const { selectors, redaction } = readSettings(FUNCTIONS.ingest.settings, {
    OPENTRAIL_TABLE_NAME: 't',
    ...env,
  });
  return ingestPolicy(selectors, redaction);
};

describe('the ingest policy', () => {
  it("uses CloudTrail's default trail and the default redaction when nothing is set", () => {
    // Act
    const policy = policyFrom({ OPENTRAIL_SELECTORS: '', OPENTRAIL_REDACTION: undefined });
    const masked = record({ requestParameters: { password: 'p' } });
    policy.redact(masked);
    // Assess
    expect(policy.selectors.keeps(record())).toBe(true);
    expect(policy.selectors.keeps(record({ eventCategory: 'Data' }))).toBe(false);
    expect(policy.selectors.regions).toBeUndefined();
    expect(masked.requestParameters).toEqual({ password: REDACTION_MASK });
  });

  it('reads the selectors and redaction rules from their JSON variables', () => {
    const policy = policyFrom({
      OPENTRAIL_SELECTORS: JSON.stringify({ data: true, regions: ['eu-west-1'] }),
      OPENTRAIL_REDACTION: JSON.stringify({ defaults: false, keys: ['ssn'] }),
    });
    const masked = record({ requestParameters: { password: 'p', ssn: '1' } });
    policy.redact(masked);
    expect(policy.selectors.keeps(record({ eventCategory: 'Data' }))).toBe(true);
    expect([...(policy.selectors.regions ?? [])]).toEqual(['eu-west-1']);
    expect(masked.requestParameters).toEqual({ password: 'p', ssn: REDACTION_MASK });
  });

  it('stops the cold start naming every variable that is not JSON', () => {
    expect(() => policyFrom({ OPENTRAIL_SELECTORS: '{data', OPENTRAIL_REDACTION: '{keys: []}' })).toThrow(
      /^OpenTrail configuration is invalid: OPENTRAIL_SELECTORS is not valid JSON: .*; OPENTRAIL_REDACTION is not valid JSON: .*$/,
    );
  });

  it('stops the cold start naming every rule problem, each with its variable', () => {
    expect(() =>
      policyFrom({ OPENTRAIL_SELECTORS: '{"data": "yes"}', OPENTRAIL_REDACTION: '{"keys": "ssn"}' }),
    ).toThrow(
      /^OpenTrail configuration is invalid: OPENTRAIL_SELECTORS: data must be true or false; OPENTRAIL_REDACTION: .+$/,
    );
  });
});
