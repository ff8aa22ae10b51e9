import { describe, expect, it } from 'vitest';
import {
  type ControlPlaneTrail,
  checkTrailStatusRequest,
  describeTrail,
  describeTrails,
  getEventSelectors,
  getInsightSelectors,
  getTrail,
  listTrails,
  parseListPublicKeysRequest,
  publicKeysInRange,
  trailStatus,
} from '../../../lambda/core/cloudtrail/trail-reads.js';
import { LIMITS } from '../../../lambda/core/limits.js';
import { CLOUDTRAIL_PROTOCOL } from '../../../lambda/routes/protocols.js';
import { expectRefusal, requestErrorOf } from '../../fixtures/request-error.js';
import { digestRecord, signingKey } from './memory-ledger.js';

const ARN = 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/audit';
const TRAIL: ControlPlaneTrail = {
  name: 'audit',
  arn: ARN,
  homeRegion: 'eu-west-1',
  insightTypes: ['ApiCallRateInsight', 'ApiErrorRateInsight'],
  digests: { bucketName: 'audit-digests', keyPrefix: 'org/audit' },
};
const WITHOUT_INTEGRITY: ControlPlaneTrail = {
  name: 'audit',
  arn: ARN,
  homeRegion: 'eu-west-1',
  insightTypes: [],
};

/** `"<status> <code>"` of what `run` throws, as CloudTrail's protocol answers it, or 'none'. */
const errorOf = (run: () => unknown) => requestErrorOf(run, CLOUDTRAIL_PROTOCOL);

describe('describeTrail', () => {
  it('gives the digest bucket and prefix, validation on, and the fixed answers of a single-region trail', () => {
    // Act
    const trail = describeTrail({ ...TRAIL, selectors: { management: { read: false } } });

    // Assess
    expect(trail).toEqual({
      Name: 'audit',
      S3BucketName: 'audit-digests',
      S3KeyPrefix: 'org/audit',
      IncludeGlobalServiceEvents: true,
      IsMultiRegionTrail: false,
      HomeRegion: 'eu-west-1',
      TrailARN: ARN,
      LogFileValidationEnabled: true,
      HasCustomEventSelectors: true,
      HasInsightSelectors: true,
      IsOrganizationTrail: false,
    });
  });

  it('leaves out an empty prefix, and says validation is off without a ledger', () => {
    // Act
    const withoutPrefix = describeTrail({ ...TRAIL, digests: { bucketName: 'd', keyPrefix: '' } });
    const off = describeTrail(WITHOUT_INTEGRITY);

    // Assess
    expect(withoutPrefix).not.toHaveProperty('S3KeyPrefix');
    expect(withoutPrefix.S3BucketName).toBe('d');
    expect(off).toMatchObject({ LogFileValidationEnabled: false, HasCustomEventSelectors: false });
    expect(off).not.toHaveProperty('S3BucketName');
    expect(off.HasInsightSelectors).toBe(false);
  });
});

describe('describeTrails', () => {
  it.each([
    [{}],
    [{ trailNameList: [] }],
    [{ trailNameList: ['audit'] }],
    [{ trailNameList: [ARN], includeShadowTrails: false }],
    [{ trailNameList: ['other', 'audit', 'audit'] }],
  ])('answers the trail for %j', (body) => {
    // Act
    const { trailList } = describeTrails(body, TRAIL);

    // Assess
    expect(trailList).toEqual([describeTrail(TRAIL)]);
  });

  it('answers an empty list when no entry names the trail', () => {
    // Act
    const { trailList } = describeTrails(
      { trailNameList: ['other', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/audit'] },
      TRAIL,
    );

    // Assess
    expect(trailList).toEqual([]);
  });

  it.each([
    [{ trailNameList: 'audit' }, '400 SerializationException'],
    [{ trailNameList: [7] }, '400 SerializationException'],
    [{ includeShadowTrails: 'yes' }, '400 SerializationException'],
    [{ trailNameList: ['a'] }, '400 InvalidTrailNameException'],
    [{ trailNameList: ['arn:aws:cloudtrail:eu-west-1:1:trail/audit'] }, '400 CloudTrailARNInvalidException'],
    [
      { trailNameList: Array(LIMITS.cloudTrailTrailNames + 1).fill('audit') },
      '400 InvalidParameterException',
    ],
  ])('refuses %j with %s', (body, expected) => {
    // Act & Assess
    expect(errorOf(() => describeTrails(body, TRAIL))).toBe(expected);
  });
});

describe('getTrail and the trail members of the other reads', () => {
  it.each(['audit', ARN])('finds the trail by %s', (name) => {
    // Act & Assess
    expect(getTrail({ Name: name }, TRAIL)).toEqual({ Trail: describeTrail(TRAIL) });
    expect(() => checkTrailStatusRequest({ Name: name }, TRAIL)).not.toThrow();
    expect(getEventSelectors({ TrailName: name }, TRAIL).TrailARN).toBe(ARN);
    expect(getInsightSelectors({ TrailName: name }, TRAIL).TrailARN).toBe(ARN);
  });

  it("answers another trail with CloudTrail's TrailNotFoundException message", () => {
    // Act
    const refusal = expectRefusal(() => getTrail({ Name: 'nosuch' }, TRAIL), CLOUDTRAIL_PROTOCOL);

    // Assess
    expect(refusal).toEqual({
      statusCode: 400,
      code: 'TrailNotFoundException',
      message: `Unknown trail: nosuch for the user: 111122223333; this API serves the trail ${ARN}`,
    });
  });

  it.each([
    [{}, '400 InvalidTrailNameException'],
    [{ Name: 5 }, '400 SerializationException'],
    [{ Name: 'my--trail' }, '400 InvalidTrailNameException'],
    [
      { Name: 'arn:aws:cloudtrail:eu-west-1:111122223333:channel/audit' },
      '400 CloudTrailARNInvalidException',
    ],
    [{ Name: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/a' }, '400 CloudTrailARNInvalidException'],
    [{ Name: 'arn:aws:cloudtrail:eu-west-2:111122223333:trail/audit' }, '400 TrailNotFoundException'],
  ])('refuses %j with %s, in every read that names a trail', (body, expected) => {
    // Prepare
    const { Name, ...rest } = body as { Name?: unknown };
    const asTrailName = Name === undefined ? rest : { TrailName: Name };

    // Act & Assess
    expect(errorOf(() => getTrail(body, TRAIL))).toBe(expected);
    expect(errorOf(() => checkTrailStatusRequest(body, TRAIL))).toBe(expected);
    expect(errorOf(() => getEventSelectors(asTrailName, TRAIL))).toBe(expected);
    expect(errorOf(() => getInsightSelectors(asTrailName, TRAIL))).toBe(expected);
  });
});

describe('listTrails', () => {
  it('lists the one trail in one page', () => {
    // Act & Assess
    expect(listTrails({}, TRAIL)).toEqual({
      Trails: [{ TrailARN: ARN, Name: 'audit', HomeRegion: 'eu-west-1' }],
    });
  });

  it('refuses a NextToken, which it never issues', () => {
    // Act & Assess
    expect(errorOf(() => listTrails({ NextToken: 'x' }, TRAIL))).toBe('400 InvalidNextTokenException');
    expect(errorOf(() => listTrails({ NextToken: 1 }, TRAIL))).toBe('400 SerializationException');
  });
});

describe('trailStatus', () => {
  it("answers the ledger's times as epoch seconds", () => {
    // Act
    const status = trailStatus(
      { latestDeliveryTime: '2026-11-24T10:05:00.000Z', lastDigestDeliveredAt: '2026-11-24T10:00:12.500Z' },
      digestRecord(),
    );

    // Assess
    expect(status).toEqual({
      IsLogging: true,
      LatestDeliveryTime: Date.parse('2026-11-24T10:05:00Z') / 1000,
      LatestDigestDeliveryTime: Date.parse('2026-11-24T10:00:12.500Z') / 1000,
      StartLoggingTime: Date.parse('2026-11-01T00:00:00Z') / 1000,
    });
  });

  it('answers IsLogging alone without a ledger or before the first digest', () => {
    // Act & Assess
    expect(trailStatus(undefined, undefined)).toEqual({ IsLogging: true });
    expect(trailStatus({ latestDeliveryTime: 'not a time' }, undefined)).toEqual({ IsLogging: true });
  });
});

describe('ListPublicKeys', () => {
  const NOW = Date.parse('2026-11-24T12:00:00Z');
  const KEYS = [
    signingKey('new', '2026-11-01T00:00:00.000Z'),
    signingKey('old', '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z'),
    signingKey('oldest', '2026-09-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z'),
  ];
  const fingerprints = (startSeconds?: number, endSeconds?: number) =>
    publicKeysInRange(
      KEYS,
      parseListPublicKeysRequest(
        {
          ...(startSeconds === undefined ? {} : { StartTime: startSeconds }),
          ...(endSeconds === undefined ? {} : { EndTime: endSeconds }),
        },
        NOW,
      ),
    ).PublicKeyList.map((key) => key.Fingerprint);
  const at = (iso: string) => Date.parse(iso) / 1000;

  it('gives the current key when no range is given, as CloudTrail does', () => {
    // Act & Assess
    expect(fingerprints()).toEqual(['new']);
  });

  it('gives every key valid at some time of the range, ends inclusive', () => {
    // Act & Assess
    expect(fingerprints(at('2026-09-15T00:00:00Z'), at('2026-11-15T00:00:00Z'))).toEqual([
      'new',
      'old',
      'oldest',
    ]);
    expect(fingerprints(at('2026-10-05T00:00:00Z'), at('2026-10-06T00:00:00Z'))).toEqual(['old']);
    expect(fingerprints(at('2026-11-01T00:00:00Z'), at('2026-11-01T00:00:00Z'))).toEqual(['new', 'old']);
    expect(fingerprints(at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z'))).toEqual([]);
  });

  it("answers each key in CloudTrail's shape, base64 PKCS#1 as the Value", () => {
    // Act
    const { PublicKeyList } = publicKeysInRange(KEYS, {
      startMs: Date.parse('2026-10-15T00:00:00Z'),
      endMs: NOW,
    });

    // Assess
    expect(PublicKeyList).toEqual([
      {
        Value: Buffer.from('der-new').toString('base64'),
        ValidityStartTime: at('2026-11-01T00:00:00Z'),
        Fingerprint: 'new',
      },
      {
        Value: Buffer.from('der-old').toString('base64'),
        ValidityStartTime: at('2026-10-01T00:00:00Z'),
        ValidityEndTime: at('2026-11-01T00:00:00Z'),
        Fingerprint: 'old',
      },
    ]);
  });

  it.each([
    [{ StartTime: 200, EndTime: 100 }, '400 InvalidTimeRangeException'],
    [{ StartTime: 'yesterday' }, '400 InvalidTimeRangeException'],
    [{ EndTime: 1e300 }, '400 InvalidTimeRangeException'],
    [{ NextToken: 'x' }, '400 InvalidNextTokenException'],
  ])('refuses %j with %s', (body, expected) => {
    // Act & Assess
    expect(errorOf(() => parseListPublicKeysRequest(body, NOW))).toBe(expected);
  });
});

describe('getEventSelectors', () => {
  it("answers the trail's selectors in CloudTrail's shape", () => {
    // Act
    const answer = getEventSelectors(
      { TrailName: 'audit' },
      {
        ...TRAIL,
        selectors: { advanced: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] }] },
      },
    );

    // Assess
    expect(answer).toEqual({
      TrailARN: ARN,
      AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }],
    });
  });
});

describe('getInsightSelectors', () => {
  it('answers both insight types with the event categories each counts', () => {
    // Act & Assess
    expect(getInsightSelectors({ TrailName: ARN }, TRAIL)).toEqual({
      TrailARN: ARN,
      InsightSelectors: [
        { InsightType: 'ApiCallRateInsight', EventCategories: ['Management'] },
        { InsightType: 'ApiErrorRateInsight', EventCategories: ['Management', 'Data'] },
      ],
    });
  });

  it.each([
    [{ TrailName: 'audit' }, WITHOUT_INTEGRITY, '400 InsightNotEnabledException'],
    [
      { EventDataStore: 'arn:aws:cloudtrail:eu-west-1:1:eventdatastore/x' },
      TRAIL,
      '400 InvalidParameterException',
    ],
    [{ TrailName: 'audit', EventDataStore: 'x' }, TRAIL, '400 InvalidParameterCombinationException'],
  ])('refuses %j with %s', (body, trail, expected) => {
    // Act & Assess
    expect(errorOf(() => getInsightSelectors(body, trail))).toBe(expected);
  });
});
