import { describe, expect, it } from 'vitest';
import { readIngestPolicy } from '../../lambda/adapters/ingest-policy-config.js';
import { REDACTION_MASK } from '../../lambda/core/redaction.js';
import { sampleRecord } from '../fixtures/events.js';

const record = sampleRecord;

describe('readIngestPolicy', () => {
  it("uses CloudTrail's default trail and the default redaction when nothing is set", () => {
    // Act
    const policy = readIngestPolicy({ OPENTRAIL_SELECTORS: '', OPENTRAIL_REDACTION: undefined });
    const masked = record({ requestParameters: { password: 'p' } });
    policy.redact(masked);
    // Assess
    expect(policy.selectors.keeps(record())).toBe(true);
    expect(policy.selectors.keeps(record({ eventCategory: 'Data' }))).toBe(false);
    expect(policy.selectors.regions).toBeUndefined();
    expect(masked.requestParameters).toEqual({ password: REDACTION_MASK });
  });

  it('reads the selectors and redaction rules from their JSON variables', () => {
    const policy = readIngestPolicy({
      OPENTRAIL_SELECTORS: JSON.stringify({ data: true, regions: ['eu-west-1'] }),
      OPENTRAIL_REDACTION: JSON.stringify({ defaults: false, keys: ['ssn'] }),
    });
    const masked = record({ requestParameters: { password: 'p', ssn: '1' } });
    policy.redact(masked);
    expect(policy.selectors.keeps(record({ eventCategory: 'Data' }))).toBe(true);
    expect([...(policy.selectors.regions ?? [])]).toEqual(['eu-west-1']);
    expect(masked.requestParameters).toEqual({ password: 'p', ssn: REDACTION_MASK });
  });

  it('stops the cold start naming every problem, each with its variable', () => {
    expect(() =>
      readIngestPolicy({ OPENTRAIL_SELECTORS: '{"data": "yes"}', OPENTRAIL_REDACTION: '{keys: []}' }),
    ).toThrow(
      /^OpenTrail configuration is invalid: OPENTRAIL_REDACTION is not valid JSON: .*; OPENTRAIL_SELECTORS: data must be true or false$/,
    );
  });
});
