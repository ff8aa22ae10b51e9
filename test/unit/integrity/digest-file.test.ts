import { describe, expect, it } from 'vitest';
import {
  buildDigestFile,
  cloudTrailTime,
  digestKey,
  digestStringToSign,
  parseTrailArn,
  sha256Hex,
} from '../../../lambda/core/integrity/digest-file.js';
import type { DeliveredObject } from '../../../lambda/core/integrity/ledger-layout.js';

const TRAIL = { accountId: '123456789012', region: 'us-east-2', name: 'my-trail' };

const object = (key: string, fields: Partial<DeliveredObject> = {}): DeliveredObject => ({
  s3Bucket: 'archive',
  s3Object: key,
  hashValue: 'ab'.repeat(32),
  hashAlgorithm: 'SHA-256',
  recordedAt: '2026-12-02T01:00:00.000Z',
  status: 'digested',
  ...fields,
});

describe('the digest file', () => {
  it('names the digest as CloudTrail does, dated by its end time, when the trail has no prefix or one', () => {
    // Act
    const plain = digestKey(TRAIL, '', '2026-12-02T03:04:05Z');
    const prefixed = digestKey(TRAIL, 'audit/digests', '2026-12-02T03:04:05Z');

    // Assess: the CLI reads the date from the key's last 24 characters (extract_digest_key_date).
    expect(plain).toBe(
      'AWSLogs/123456789012/CloudTrail-Digest/us-east-2/2026/12/02/' +
        '123456789012_CloudTrail-Digest_us-east-2_my-trail_us-east-2_20261202T030405Z.json.gz',
    );
    expect(plain.slice(-24, -8)).toBe('20261202T030405Z');
    expect(prefixed).toBe(`audit/digests/${plain}`);
  });

  it('matches the CLI key regex of the trail when built', () => {
    // Prepare: DigestProvider._create_digest_key_regex, for a trail without an organisation.
    const regex =
      /^AWSLogs\/123456789012\/CloudTrail-Digest\/us-east-2\/\d+\/\d+\/\d+\/123456789012_CloudTrail-Digest_us-east-2_my-trail_us-east-2_.+(?:_backfill)?\.json\.gz$/;

    // Assess
    expect(digestKey(TRAIL, '', '2026-12-02T03:04:05Z')).toMatch(regex);
  });

  it("writes every one of CloudTrail's fields, null previous fields and an empty logFiles at a chain's empty start", () => {
    // Act
    const digest = buildDigestFile({
      digestStartTime: '2026-12-02T00:00:00Z',
      digestEndTime: '2026-12-02T01:00:00Z',
      digestS3Bucket: 'digests',
      digestS3Object: 'AWSLogs/x.json.gz',
      publicKeyFingerprint: 'f'.repeat(32),
      previous: undefined,
      objects: [],
    });

    // Assess
    expect(digest).toEqual({
      digestStartTime: '2026-12-02T00:00:00Z',
      digestEndTime: '2026-12-02T01:00:00Z',
      digestS3Bucket: 'digests',
      digestS3Object: 'AWSLogs/x.json.gz',
      digestPublicKeyFingerprint: 'f'.repeat(32),
      digestSignatureAlgorithm: 'SHA256withRSA',
      previousDigestS3Bucket: null,
      previousDigestS3Object: null,
      previousDigestHashValue: null,
      previousDigestHashAlgorithm: null,
      previousDigestSignature: null,
      newestEventTime: null,
      oldestEventTime: null,
      logFiles: [],
    });
  });

  it('lists objects in key order with their hashes and the newest and oldest event over all of them', () => {
    // Act
    const digest = buildDigestFile({
      digestStartTime: '2026-12-02T00:00:00Z',
      digestEndTime: '2026-12-02T01:00:00Z',
      digestS3Bucket: 'digests',
      digestS3Object: 'k',
      publicKeyFingerprint: 'f',
      previous: { s3Bucket: 'digests', s3Object: 'prev', hashValue: 'h', signature: 's' },
      objects: [
        object('events/b.gz', {
          newestEventTime: '2026-12-02T00:50:00Z',
          oldestEventTime: '2026-12-02T00:20:00Z',
        }),
        object('events/a.gz', {
          newestEventTime: '2026-12-02T00:40:00Z',
          oldestEventTime: '2026-12-02T00:10:00Z',
        }),
      ],
    });

    // Assess
    expect(digest.logFiles.map((file) => file.s3Object)).toEqual(['events/a.gz', 'events/b.gz']);
    expect(digest).toMatchObject({
      previousDigestS3Bucket: 'digests',
      previousDigestS3Object: 'prev',
      previousDigestHashValue: 'h',
      previousDigestHashAlgorithm: 'SHA-256',
      previousDigestSignature: 's',
      newestEventTime: '2026-12-02T00:50:00Z',
      oldestEventTime: '2026-12-02T00:10:00Z',
    });
  });

  it("signs what the CLI's Sha256RSADigestValidator rebuilds, with 'null' at a chain's start", () => {
    // Prepare
    const digest = buildDigestFile({
      digestStartTime: '2026-12-02T00:00:00Z',
      digestEndTime: '2026-12-02T01:00:00Z',
      digestS3Bucket: 'digests',
      digestS3Object: 'AWSLogs/k.json.gz',
      publicKeyFingerprint: 'f',
      previous: undefined,
      objects: [],
    });
    const json = JSON.stringify(digest);

    // Act
    const first = digestStringToSign(digest, json);
    const chained = digestStringToSign({ ...digest, previousDigestSignature: 'beef' }, json);

    // Assess
    expect(first).toBe(`2026-12-02T01:00:00Z\ndigests/AWSLogs/k.json.gz\n${sha256Hex(json)}\nnull`);
    expect(chained.endsWith('\nbeef')).toBe(true);
  });

  it('reads account, region and name from a trail ARN and refuses anything else', () => {
    // Assess
    expect(parseTrailArn('arn:aws:cloudtrail:us-east-2:123456789012:trail/my-trail')).toEqual(TRAIL);
    expect(() => parseTrailArn('arn:aws:s3:::bucket')).toThrow(/not a trail ARN/);
  });

  it('writes times in whole seconds, UTC, when given milliseconds', () => {
    // Assess
    expect(cloudTrailTime(Date.parse('2026-12-02T03:04:05.999Z'))).toBe('2026-12-02T03:04:05Z');
  });
});
